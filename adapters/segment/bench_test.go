package segment

import (
	"fmt"
	"testing"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/adapterstest/analyticspeer"
	"github.com/eppokit/eppokit/adapters/internal/trackexport"
)

// BenchmarkThroughput measures sustained delivery to a local peer, one op per event: the raw library used
// the simplest way (Enqueue a Track per event, then Close) against this adapter behind the pipeline.
func BenchmarkThroughput(b *testing.B) {
	events := adapterstest.SizedEvents("bench", 1024, analyticspeer.BenchEvents)
	b.Run("raw-library", func(b *testing.B) {
		peer := analyticspeer.New(b, testKey)
		peer.CountOnly()
		client, err := analytics.NewWithConfig(testKey, analytics.Config{Endpoint: peer.URL})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a := events[i%len(events)].Assignment
			if err := client.Enqueue(analytics.Track{UserId: a.Subject, Event: DefaultAssignmentEvent,
				Timestamp: a.Timestamp, Properties: trackexport.AssignmentProperties(a)}); err != nil {
				b.Fatal(err)
			}
		}
		if err := client.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		analyticspeer.ReportThroughput(b, peer)
	})
	for _, concurrency := range []int{1, trackexport.DefaultExportConcurrency} {
		b.Run(fmt.Sprintf("pipeline/concurrency=%d", concurrency), func(b *testing.B) {
			peer := analyticspeer.New(b, testKey)
			peer.CountOnly()
			p, err := NewLogger(Config{WriteKey: testKey, Endpoint: peer.URL}, analyticspeer.BenchOptions(concurrency)...)
			if err != nil {
				b.Fatal(err)
			}
			analyticspeer.BenchPipeline(b, p, peer, events)
		})
	}
}
