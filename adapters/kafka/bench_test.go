package kafka_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

// Benchmark setup shared by both sides: one in-process broker, 400-byte events keyed by subject, batches of
// benchBatch messages, acks from all replicas, a 2 ms batch timeout. Run with a fixed count, e.g.
// -benchtime 100000x, so that both sides write the same number of events.
const (
	benchBatch = 512
	benchSize  = 400
)

func benchEvents() []batching.Event { return adapterstest.SizedEvents("bench", 4096, benchSize) }

func reportThroughput(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkThroughput compares events/s through the adapter's pipeline with kafka-go used directly the
// simplest way: json.Marshal each event, WriteMessages in batches of the same size, same writer settings.
func BenchmarkThroughput(b *testing.B) {
	for _, partitions := range []int32{1, 3} {
		name := map[int32]string{1: "1-partition", 3: "3-partitions"}[partitions]
		b.Run(name+"/raw-kafka-go", func(b *testing.B) {
			c := startCluster(b, partitions)
			w := &kafkago.Writer{
				Addr: kafkago.TCP(c.ListenAddrs()...), Topic: kafka.DefaultAssignmentTopic, Balancer: &kafkago.Hash{},
				BatchSize: benchBatch, BatchTimeout: kafka.DefaultBatchTimeout, RequiredAcks: kafkago.RequireAll,
			}
			defer w.Close()
			evs := benchEvents()
			msgs := make([]kafkago.Message, 0, benchBatch)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				e := evs[i%len(evs)]
				v, err := json.Marshal(e.Assignment)
				if err != nil {
					b.Fatal(err)
				}
				msgs = append(msgs, kafkago.Message{Key: []byte(e.Assignment.Subject), Value: v,
					Headers: []kafkago.Header{{Key: kafka.HeaderEventID, Value: []byte(e.ID)}}})
				if len(msgs) == benchBatch || i == b.N-1 {
					if err := w.WriteMessages(ctx, msgs...); err != nil {
						b.Fatal(err)
					}
					msgs = make([]kafkago.Message, 0, benchBatch)
				}
			}
			reportThroughput(b, start)
		})

		b.Run(name+"/pipeline", func(b *testing.B) {
			c := startCluster(b, partitions)
			p, err := kafka.NewLogger(c.ListenAddrs(), []kafka.Option{kafka.WithBatchSize(benchBatch)},
				batching.WithBlocking(), batching.WithLinger(5*time.Millisecond), batching.WithExportConcurrency(2),
				quietLogs())
			if err != nil {
				b.Fatal(err)
			}
			evs := benchEvents()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				p.LogAssignment(*evs[i%len(evs)].Assignment)
			}
			if err := p.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			reportThroughput(b, start)
			b.StopTimer()
			if st := p.Stats(); st.Delivered != uint64(b.N) {
				b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
			}
		})
	}
}
