// Command rudderstack ships exposures to a RudderStack data plane as Track calls, gzipped, confirmed per
// message before they count as delivered.
//
//	RUDDERSTACK_WRITE_KEY=... RUDDERSTACK_DATA_PLANE_URL=https://example.dataplane.rudderstack.com \
//	  go run ./examples/rudderstack -subjects 1000
package main

import (
	"flag"

	"github.com/eppokit/eppokit/adapters/rudderstack"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/dedupe"
	"github.com/eppokit/eppokit/examples/internal/demo"
)

func main() {
	opts := demo.RegisterFlags(1000)
	flag.Parse()
	cfg := rudderstack.Config{
		WriteKey:     demo.RequireEnv("RUDDERSTACK_WRITE_KEY"),
		DataPlaneURL: demo.RequireEnv("RUDDERSTACK_DATA_PLANE_URL"),
	}
	demo.CheckURLReachable("RudderStack data plane", cfg.DataPlaneURL)

	// A batch job: wait for queue room rather than drop (a service keeps the default, non-blocking intake).
	logger, err := rudderstack.NewLogger(cfg, batching.WithDedupe(dedupe.Options{Capacity: 1 << 20}), batching.WithBlocking())
	if err != nil {
		demo.Fail("%v", err)
	}
	client := demo.Run(opts, logger)
	demo.Finish(client, logger, func() []batching.Stats { return []batching.Stats{logger.Stats()} })
}
