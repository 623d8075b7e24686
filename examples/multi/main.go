// Command multi ships every exposure to two sinks at once, a CSV file and Kafka, each with its own queue
// and counters: a Kafka outage fills only Kafka's queue and never slows the CSV file or the assignments.
//
//	KAFKA_BROKERS=127.0.0.1:9092 go run ./examples/multi -out /tmp/eppokit-multi
package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"

	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/dedupe"
	"github.com/eppokit/eppokit/examples/internal/demo"
)

func main() {
	opts := demo.RegisterFlags(1000)
	out := flag.String("out", filepath.Join(os.TempDir(), "eppokit-multi"), "directory for the CSV files")
	flag.Parse()
	brokers, topic := demo.KafkaEnv()

	// This program is a batch job: wait for queue room rather than drop (a service keeps the default,
	// non-blocking intake). Each sink dedupes on its own.
	pipeline := []batching.Option{batching.WithDedupe(dedupe.Options{Capacity: 1 << 20}), batching.WithBlocking()}
	toCSV, err := csv.NewLogger(csv.Config{Dir: *out}, pipeline...)
	if err != nil {
		demo.Fail("%v", err)
	}
	toKafka, err := kafka.NewLogger(kafka.Config{Brokers: brokers, Topic: topic}, pipeline...)
	if err != nil {
		toCSV.Close(context.Background())
		demo.Fail("%v", err)
	}
	both := batching.NewFanout(toCSV, toKafka)
	client := demo.Run(opts, both)
	demo.Finish(client, both, both.Stats)
}
