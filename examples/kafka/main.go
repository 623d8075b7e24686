// Command kafka ships exposures to Kafka: assignments to KAFKA_TOPIC (default eppo-assignments), bandit
// actions to eppo-bandit-actions, keyed by subject, as JSON. It exits non-zero, with the reason on one line,
// when any exposure was not delivered.
//
//	KAFKA_BROKERS=127.0.0.1:9092 go run ./examples/kafka -subjects 1000
package main

import (
	"flag"

	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/dedupe"
	"github.com/eppokit/eppokit/examples/internal/demo"
)

func main() {
	opts := demo.RegisterFlags(1000)
	flag.Parse()
	brokers, topic := demo.KafkaEnv()

	// A batch job: wait for queue room rather than drop (a service keeps the default, non-blocking intake).
	logger, err := kafka.NewLogger(kafka.Config{Brokers: brokers, Topic: topic},
		batching.WithDedupe(dedupe.Options{Capacity: 1 << 20}), batching.WithBlocking())
	if err != nil {
		demo.Fail("%v", err)
	}
	client := demo.Run(opts, logger)
	demo.Finish(client, logger, func() []batching.Stats { return []batching.Stats{logger.Stats()} })
}
