package adapterstest

import (
	"context"
	"testing"
	"time"

	"github.com/eppokit/eppokit/batching"
)

// BenchmarkPipeline logs b.N assignment events (cycling through events) into p, closes it, and reports
// events/s measured until Close returned, that is until every event was delivered. p should be built with
// batching.WithBlocking so that nothing is dropped; the benchmark fails if anything was.
func BenchmarkPipeline(b *testing.B, p *batching.Processor, events []batching.Event) {
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		p.LogAssignment(*events[i%len(events)].Assignment)
	}
	if err := p.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	ReportThroughput(b, start)
	b.StopTimer()
	if st := p.Stats(); st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
	}
}

// ReportThroughput reports b.N events since start as an events/s metric.
func ReportThroughput(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
