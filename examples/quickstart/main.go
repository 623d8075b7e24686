// Command quickstart is eppokit's offline demo: it evaluates a population of subjects against the bundled
// configuration (flags of every type and a contextual bandit), logs the exposures through dedupe and the
// batching pipeline into CSV files, and prints the splits, where the files are, and the pipeline's Stats.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/dedupe"
	"github.com/eppokit/eppokit/examples/internal/demo"
)

func main() {
	opts := demo.RegisterFlags(10000)
	out := flag.String("out", filepath.Join(os.TempDir(), "eppokit-quickstart"), "directory for the CSV files (replaced)")
	flag.Parse()

	// Start from empty files so that the counts describe this run.
	for _, name := range []string{csv.DefaultAssignmentFile, csv.DefaultBanditFile} {
		os.Remove(filepath.Join(*out, name))
	}
	// Dedupe (each subject logged once per variation), batching, then one CSV file per event kind. The demo is
	// a batch job, so it waits for queue room rather than drop; a service keeps the default, non-blocking intake.
	// The CSV adapter creates the directory when it is missing.
	logger, err := csv.NewLogger(csv.Config{Dir: *out}, batching.WithDedupe(dedupe.Options{Capacity: 1 << 20}),
		batching.WithBlocking())
	if err != nil {
		demo.Fail("%v", err)
	}
	client := demo.Run(opts, logger)
	fmt.Printf("exposures written to:\n  %s\n  %s\n\n",
		filepath.Join(*out, csv.DefaultAssignmentFile), filepath.Join(*out, csv.DefaultBanditFile))
	demo.Finish(client, logger, func() []batching.Stats { return []batching.Stats{logger.Stats()} })
}
