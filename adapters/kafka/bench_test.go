package kafka_test

import (
	"context"
	"sync/atomic"
	"syscall"
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

// BenchmarkThroughput compares, on one in-process broker per partition count, how fast the same events
// reach Kafka as 400-byte JSON values:
//
//   - raw-kafka-go-async: kafka-go's Writer{Async: true, RequiredAcks: RequireAll} used directly, 100
//     messages per WriteMessages, every value encoded before the clock starts, with the same key (subject)
//     and headers, the Hash balancer, successes counted in Completion; the run ends when Close has had
//     every message acknowledged. This is kafka-go's ceiling on this machine, and the bar the pipeline
//     is held to, although the pipeline also encodes every event inside its run.
//   - raw-kafka-go-async-encoding: the same with each event encoded in the loop by the encoder the sink
//     uses, so both sides do the same work.
//   - pipeline: NewLogger's default configuration plus blocking intake (so that the loop waits for queue
//     room instead of dropping), one LogAssignment per event; the run ends when Flush returns, that is
//     when every event was acknowledged.
//
// Both report events/s and cpu-ns/event: the CPU time of the whole process (client and in-process broker)
// per event, which a machine shared with other work disturbs less than the rate. After each run the
// records are deleted from the broker, so its memory stays flat across runs.
func BenchmarkThroughput(b *testing.B) {
	for _, tc := range []struct {
		name       string
		partitions int32
	}{{"1-partition", 1}, {"3-partitions", 3}, {"12-partitions", 12}} {
		b.Run(tc.name, func(b *testing.B) {
			c := startCluster(b, tc.partitions)
			events := adapterstest.SizedEvents("bench", 4096, benchEventBytes)
			b.Run("raw-kafka-go-async", func(b *testing.B) { benchRaw(b, c, events, true) })
			b.Run("raw-kafka-go-async-encoding", func(b *testing.B) { benchRaw(b, c, events, false) })
			b.Run("pipeline", func(b *testing.B) { benchPipeline(b, c, events) })
		})
	}
}

func benchRaw(b *testing.B, c *kfake.Cluster, events []batching.Event, preencoded bool) {
	sink, err := kafka.NewSink(kafka.Config{Brokers: c.ListenAddrs()})
	if err != nil {
		b.Fatal(err)
	}
	// What a user of kafka-go would prepare once per subject: the key and the header names.
	keys := make([][]byte, len(events))
	for i, e := range events {
		keys[i] = []byte(e.Assignment.Subject)
	}
	kind := []byte("assignment")
	var values [][]byte
	if preencoded {
		for _, e := range adapterstest.Encode(b, sink, events) {
			values = append(values, e.Payload)
		}
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
	start, cpu := time.Now(), cpuTime()
	for i := range b.N {
		e := &events[i%len(events)]
		var value []byte
		if preencoded {
			value = values[i%len(events)]
		} else if value, err = sink.Encode(e); err != nil {
			b.Fatal(err)
		}
		call = append(call, kafkago.Message{Key: keys[i%len(events)], Value: value, Headers: []kafkago.Header{
			{Key: kafka.HeaderEventID, Value: []byte(e.ID)}, {Key: kafka.HeaderEventKind, Value: kind}}})
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
	reportRates(b, start, cpu)
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
	start, cpu := time.Now(), cpuTime()
	for i := range b.N {
		p.LogAssignment(*events[i%len(events)].Assignment)
	}
	if err := p.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	reportRates(b, start, cpu)
	if err := p.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
	}
	truncate(b, c)
}

// reportRates reports events/s and the process's CPU time per event since start.
func reportRates(b *testing.B, start time.Time, cpu time.Duration) {
	adapterstest.ReportThroughput(b, start)
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/event")
}

// cpuTime returns the user and system CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// truncate deletes every record of the benchmark topic, so that the broker does not hold all runs in memory.
func truncate(b *testing.B, c *kfake.Cluster) {
	for _, p := range c.PartitionInfos(kafka.DefaultAssignmentTopic) {
		if err := c.DeleteRecords(kafka.DefaultAssignmentTopic, p.Partition, -1); err != nil {
			b.Fatal(err)
		}
	}
}
