package kafka_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// BenchmarkThroughput compares events/s through the adapter's pipeline with kafka-go used directly the
// simplest way: json.Marshal each event, WriteMessages in batches of the same size, same writer settings.
func BenchmarkThroughput(b *testing.B) {
	for _, partitions := range []int32{1, 3} {
		name := map[int32]string{1: "1-partition", 3: "3-partitions"}[partitions]
		for _, preencoded := range []bool{false, true} {
			sub := "/raw-kafka-go"
			if preencoded {
				sub += "-preencoded"
			}
			b.Run(name+sub, func(b *testing.B) { benchRaw(b, partitions, preencoded) })
		}
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/pipeline-concurrency-%d", name, conc), func(b *testing.B) {
				benchPipeline(b, partitions, conc)
			})
		}
	}
}

// benchRaw writes with kafka-go alone; preencoded leaves JSON encoding out of the loop (the library's
// ceiling), otherwise each event is json.Marshal'ed as a user of kafka-go would.
func benchRaw(b *testing.B, partitions int32, preencoded bool) {
	c := startCluster(b, partitions)
	w := &kafkago.Writer{
		Addr: kafkago.TCP(c.ListenAddrs()...), Topic: kafka.DefaultAssignmentTopic, Balancer: &kafkago.Hash{},
		BatchSize: benchBatch, BatchTimeout: kafka.DefaultBatchTimeout, RequiredAcks: kafkago.RequireAll,
	}
	defer w.Close()
	evs := benchEvents()
	values := make([][]byte, len(evs))
	for i, e := range evs {
		values[i], _ = json.Marshal(e.Assignment)
	}
	msgs := make([]kafkago.Message, 0, benchBatch)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		e := evs[i%len(evs)]
		v := values[i%len(evs)]
		if !preencoded {
			var err error
			if v, err = json.Marshal(e.Assignment); err != nil {
				b.Fatal(err)
			}
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
	adapterstest.ReportThroughput(b, start)
}

// benchPipeline logs every event through the adapter's pipeline (blocking mode, so nothing is dropped)
// and stops the clock when Close has delivered them all.
func benchPipeline(b *testing.B, partitions int32, concurrency int) {
	c := startCluster(b, partitions)
	p, err := kafka.NewLogger(c.ListenAddrs(), []kafka.Option{kafka.WithBatchSize(benchBatch)},
		batching.WithBlocking(), batching.WithLinger(5*time.Millisecond),
		batching.WithExportConcurrency(concurrency), quietLogs())
	if err != nil {
		b.Fatal(err)
	}
	adapterstest.BenchmarkPipeline(b, p, benchEvents())
}
