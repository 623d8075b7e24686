package batching

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// benchEvents pre-builds n distinct events (twice the dedupe capacity, so cycling through them always misses) (core builds them in real use, so their cost is not counted).
func benchEvents(n int) []core.AssignmentEvent {
	evs := make([]core.AssignmentEvent, n)
	for i := range evs {
		evs[i] = assignment("flag-"+fmt.Sprint(i%50), fmt.Sprint("subject-", i), "variant")
	}
	return evs
}

// benchProcessor is a running pipeline with default dedupe (65,536 keys) and a discarding sink.
func benchProcessor(b *testing.B) *Processor {
	p := New(nil, WithDedupe(dedupe.Options{}), WithQueueSize(1<<16), WithBatchSize(1024))
	b.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

func reportDrops(b *testing.B, p *Processor) {
	st := p.Stats()
	b.ReportMetric(float64(st.DroppedTotal())/float64(b.N), "drops/op")
}

func BenchmarkLogAssignment(b *testing.B) {
	const n = 1 << 17
	evs := benchEvents(n)
	p := benchProcessor(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.LogAssignment(evs[i&(n-1)])
	}
	b.StopTimer()
	reportDrops(b, p)
}

func BenchmarkLogAssignmentDuplicate(b *testing.B) {
	p := benchProcessor(b)
	ev := assignment("flag", "subject", "variant")
	p.LogAssignment(ev)
	b.ReportAllocs()
	for b.Loop() {
		p.LogAssignment(ev)
	}
}

func BenchmarkLogAssignmentParallel(b *testing.B) {
	const n = 1 << 17
	evs := benchEvents(n)
	p := benchProcessor(b)
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1 << 15) // each goroutine walks its own stretch of distinct events
		for pb.Next() {
			p.LogAssignment(evs[i&(n-1)])
			i++
		}
	})
	b.StopTimer()
	reportDrops(b, p)
}

func BenchmarkLogAssignmentDuplicateParallel(b *testing.B) {
	p := benchProcessor(b)
	evs := benchEvents(64)
	for _, ev := range evs {
		p.LogAssignment(ev)
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		for pb.Next() {
			p.LogAssignment(evs[i&63])
			i++
		}
	})
}

// BenchmarkIntake measures end-to-end throughput: events/s that the logging goroutines hand over and the
// batcher takes into batches delivered to a discarding sink, without drops hiding a slow consumer.
func BenchmarkIntake(b *testing.B) {
	const n = 1 << 17
	evs := benchEvents(n)
	p := New(nil, WithQueueSize(1<<16), WithBatchSize(1024), WithMemoryLimit(1<<30), WithBlocking())
	var next atomic.Uint64
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1 << 15)
		for pb.Next() {
			p.LogAssignment(evs[i&(n-1)])
			i++
		}
	})
	if err := p.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	st := p.Stats()
	if st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d", st.Delivered, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	_ = p.Close(context.Background())
}

// BenchmarkLogAssignmentNoDedupe isolates the pipeline's intake (counters plus the queue offer).
func BenchmarkLogAssignmentNoDedupe(b *testing.B) {
	const n = 1 << 17
	evs := benchEvents(n)
	p := New(nil, WithQueueSize(1<<16), WithBatchSize(1024))
	b.Cleanup(func() { _ = p.Close(context.Background()) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.LogAssignment(evs[i&(n-1)])
	}
	b.StopTimer()
	reportDrops(b, p)
}

// BenchmarkClientRepeatExposure is the whole path of a repeat exposure: a client evaluates a logged
// allocation for the same subject again and again into a Processor with dedupe. The client asks the
// processor first (core.AssignmentFilter), so a duplicate builds no event and copies no attributes.
func BenchmarkClientRepeatExposure(b *testing.B) {
	p := New(nil, WithDedupe(dedupe.Options{}))
	defer p.Close(context.Background())
	c := flagsClient(b, p)
	attrs := core.Attributes{"country": "US", "email": "x@example.org", "age": 30}
	if _, err := c.GetIntegerAssignment("integer-flag", "alice", attrs, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.GetIntegerAssignment("integer-flag", "alice", attrs, 0)
	}
	if st := p.Stats(); st.Accepted != 1 {
		b.Fatalf("a repeated exposure was logged again: %+v", st)
	}
}
