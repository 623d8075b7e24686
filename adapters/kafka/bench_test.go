package kafka_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

// benchEventBytes is the size of every event's JSON value in BenchmarkThroughput.
const benchEventBytes = 400

// BenchmarkThroughput compares, on one in-process broker per partition count, events/s into Kafka:
//
//   - raw-kafka-go-async: kafka-go's Writer{Async: true, RequiredAcks: RequireAll} used directly, 100
//     messages per WriteMessages, each message with the same key (subject), value (the sink's JSON,
//     encoded before the clock starts) and headers as the sink sends, the Hash balancer, successes counted
//     in Completion; the run ends when Close has had every message acknowledged.
//   - pipeline: NewLogger with its default configuration plus blocking intake (so that the loop waits
//     for queue room instead of dropping), LogAssignment per event (encoding included); the run ends when
//     Flush returns, that is when every event was acknowledged.
//
// After each run the records are deleted from the broker, so its memory stays flat across runs.
func BenchmarkThroughput(b *testing.B) {
	for _, tc := range []struct {
		name       string
		partitions int32
	}{{"1-partition", 1}, {"3-partitions", 3}, {"12-partitions", 12}} {
		b.Run(tc.name, func(b *testing.B) {
			c := startCluster(b, tc.partitions)
			events := adapterstest.SizedEvents("bench", 4096, benchEventBytes)
			b.Run("raw-kafka-go-async", func(b *testing.B) { benchRaw(b, c, events) })
			b.Run("pipeline", func(b *testing.B) { benchPipeline(b, c, events) })
		})
	}
}

func benchRaw(b *testing.B, c *kfake.Cluster, events []batching.Event) {
	sink, err := kafka.NewSink(kafka.Config{Brokers: c.ListenAddrs()})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]kafkago.Message, len(events))
	for i, e := range adapterstest.Encode(b, sink, events) {
		msgs[i] = kafkago.Message{Key: []byte(e.Assignment.Subject), Value: e.Payload, Headers: []kafkago.Header{
			{Key: kafka.HeaderEventID, Value: []byte(e.ID)}, {Key: kafka.HeaderEventKind, Value: []byte("assignment")}}}
	}
	var acked, failed atomic.Int64
	transport := &kafkago.Transport{}
	defer transport.CloseIdleConnections()
	w := &kafkago.Writer{
		Addr: kafkago.TCP(c.ListenAddrs()...), Topic: kafka.DefaultAssignmentTopic, Balancer: &kafkago.Hash{},
		Async: true, RequiredAcks: kafkago.RequireAll, Transport: transport,
		Completion: func(ms []kafkago.Message, err error) {
			if err != nil {
				failed.Add(int64(len(ms)))
				return
			}
			acked.Add(int64(len(ms)))
		},
	}
	call := make([]kafkago.Message, 0, 100)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		call = append(call, msgs[i%len(msgs)])
		if len(call) == cap(call) || i == b.N-1 {
			if err := w.WriteMessages(ctx, call...); err != nil {
				b.Fatal(err)
			}
			call = call[:0]
		}
	}
	if err := w.Close(); err != nil { // sends what is still batched and waits for every Completion
		b.Fatal(err)
	}
	adapterstest.ReportThroughput(b, start)
	b.StopTimer()
	if acked.Load() != int64(b.N) || failed.Load() != 0 {
		b.Fatalf("acknowledged %d, failed %d of %d", acked.Load(), failed.Load(), b.N)
	}
	truncate(b, c)
}

func benchPipeline(b *testing.B, c *kfake.Cluster, events []batching.Event) {
	p, err := kafka.NewLogger(kafka.Config{Brokers: c.ListenAddrs()}, batching.WithBlocking(), quietLogs())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		p.LogAssignment(*events[i%len(events)].Assignment)
	}
	if err := p.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	adapterstest.ReportThroughput(b, start)
	b.StopTimer()
	if err := p.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
	}
	truncate(b, c)
}

// truncate deletes every record of the benchmark topic, so that the broker does not hold all runs in memory.
func truncate(b *testing.B, c *kfake.Cluster) {
	for _, p := range c.PartitionInfos(kafka.DefaultAssignmentTopic) {
		if err := c.DeleteRecords(kafka.DefaultAssignmentTopic, p.Partition, -1); err != nil {
			b.Fatal(err)
		}
	}
}
