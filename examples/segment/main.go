// Command segment ships exposures to Segment as Track calls ("Eppo Randomization Assignment" and
// "Eppo Bandit Action"), confirmed per message before they count as delivered.
//
//	SEGMENT_WRITE_KEY=... go run ./examples/segment -subjects 1000
//	SEGMENT_ENDPOINT=http://127.0.0.1:8088 sends to a proxy or a local receiver instead of api.segment.io.
package main

import (
	"flag"
	"os"

	"github.com/eppokit/eppokit/adapters/segment"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/dedupe"
	"github.com/eppokit/eppokit/examples/internal/demo"
)

func main() {
	opts := demo.RegisterFlags(1000)
	flag.Parse()
	cfg := segment.Config{WriteKey: demo.RequireEnv("SEGMENT_WRITE_KEY"), Endpoint: os.Getenv("SEGMENT_ENDPOINT")}
	if cfg.Endpoint == "" {
		cfg.Endpoint = segment.DefaultEndpoint
	}
	demo.CheckURLReachable("Segment endpoint", cfg.Endpoint)

	// A batch job: wait for queue room rather than drop (a service keeps the default, non-blocking intake).
	logger, err := segment.NewLogger(cfg, batching.WithDedupe(dedupe.Options{Capacity: 1 << 20}), batching.WithBlocking())
	if err != nil {
		demo.Fail("%v", err)
	}
	client := demo.Run(opts, logger)
	demo.Finish(client, logger, func() []batching.Stats { return []batching.Stats{logger.Stats()} })
}
