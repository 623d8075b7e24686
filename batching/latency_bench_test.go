package batching

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

// BenchmarkLogAssignmentLatency compares the latency distribution of LogAssignment in front of a healthy
// sink and a hung one (accepts, never answers). Each call is timed; p50, p99 and p99.9 are reported in ns.
// The hung pipeline fills up and sheds (memory_limit, queue_full), so its calls take the drop path; the point
// is that no call waits on the sink.
func BenchmarkLogAssignmentLatency(b *testing.B) {
	for _, tc := range []struct {
		name string
		fail func(context.Context, Batch) error
	}{{"healthy", nil}, {"hung", hang}} {
		b.Run(tc.name, func(b *testing.B) {
			sink := newRecordingSink()
			sink.fail = tc.fail
			sink.delivered = nil // count only: recording every event would dominate
			p := New(countingSink{sink}, WithDedupe(dedupe.Options{}), WithQueueSize(1<<14), WithBatchSize(512),
				WithMemoryLimit(16<<20), WithExportTimeout(time.Hour))
			defer p.Close(context.Background())
			const n = 1 << 17
			evs := benchEvents(n)
			samples := make([]time.Duration, 0, min(b.N, 1<<22))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				p.LogAssignment(evs[i&(n-1)])
				if len(samples) < cap(samples) {
					samples = append(samples, time.Since(start))
				}
			}
			b.StopTimer()
			slices.Sort(samples)
			q := func(f float64) float64 { return float64(samples[int(f*float64(len(samples)-1))].Nanoseconds()) }
			b.ReportMetric(q(0.5), "p50-ns")
			b.ReportMetric(q(0.99), "p99-ns")
			b.ReportMetric(q(0.999), "p99.9-ns")
		})
	}
}

// countingSink wraps recordingSink but only counts exports, so the benchmark measures the pipeline.
type countingSink struct{ s *recordingSink }

func (c countingSink) Export(ctx context.Context, b Batch) error {
	c.s.exports.Add(1)
	if c.s.fail != nil {
		return c.s.fail(ctx, b)
	}
	return nil
}

func (c countingSink) Close(context.Context) error { return nil }
