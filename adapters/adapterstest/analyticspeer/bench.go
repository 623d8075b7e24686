package analyticspeer

import (
	"context"
	"log/slog"
	"testing"

	"github.com/eppokit/eppokit/batching"
)

// BenchEvents is the size in bytes of the events the throughput benchmarks send (camelCase JSON).
const BenchEvents = 300

// ReportThroughput reports events/s over the benchmark's elapsed time and fails unless the peer holds
// all b.N events: a throughput figure counts only confirmed deliveries.
func ReportThroughput(b *testing.B, peer *Server) {
	b.Helper()
	if got := peer.Stored(); got != b.N {
		b.Fatalf("peer stored %d of %d events", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchPipeline logs b.N assignment events through p (built in blocking mode, so that the queue applies
// backpressure instead of dropping) and closes it, so that the timing covers delivery of every event.
func BenchPipeline(b *testing.B, p *batching.Processor, peer *Server, events []batching.Event) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.LogAssignment(*events[i%len(events)].Assignment)
	}
	if err := p.Close(context.Background()); err != nil {
		b.Fatalf("Close: %v", err)
	}
	b.StopTimer()
	if st := p.Stats(); st.Delivered != uint64(b.N) {
		b.Fatalf("delivered %d of %d: %+v", st.Delivered, b.N, st)
	}
	ReportThroughput(b, peer)
}

// BenchOptions are the pipeline options of the throughput benchmarks.
func BenchOptions(concurrency int) []batching.Option {
	return []batching.Option{
		batching.WithBlocking(),
		batching.WithExportConcurrency(concurrency),
		batching.WithLogger(slog.New(slog.DiscardHandler)),
	}
}
