package otelmetrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/eppokit/eppokit/adapters/otelmetrics"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// The benchmarks below repeat core's BenchmarkGetStringAssignment and BenchmarkGetStringAssignmentParallel
// and batching's BenchmarkLogAssignment, each without and with Register, so that one run compares them:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./adapters/otelmetrics/
//
// With metrics on, a reader collects every 100 ms while the benchmark runs, as a periodic exporter would.

func BenchmarkGetStringAssignment(b *testing.B) {
	forMetrics(b, func(b *testing.B, metrics bool) {
		c, subject := benchClient(b, metrics)
		attrs := benchAttributes()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetStringAssignment("new-user-onboarding", subject, attrs, "default"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetStringAssignmentParallel(b *testing.B) {
	forMetrics(b, func(b *testing.B, metrics bool) {
		c, subject := benchClient(b, metrics)
		attrs := benchAttributes()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.GetStringAssignment("new-user-onboarding", subject, attrs, "default"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkLogAssignment(b *testing.B) {
	forMetrics(b, func(b *testing.B, metrics bool) {
		const n = 1 << 17 // twice the dedupe capacity: cycling through the events always misses
		evs := make([]core.AssignmentEvent, n)
		for i := range evs {
			evs[i] = core.AssignmentEvent{FeatureFlag: fmt.Sprint("flag-", i%50), Allocation: "allocation",
				Experiment: "experiment", Variation: "variant", Subject: fmt.Sprint("subject-", i)}
		}
		// Settings of batching's BenchmarkLogAssignment; the pipeline's rate-limited warnings about
		// queue_full bursts are discarded so that they do not interleave with the benchmark lines.
		p := batching.New(nil, batching.WithDedupe(dedupe.Options{}), batching.WithQueueSize(1<<16),
			batching.WithBatchSize(1024), batching.WithLogger(slog.New(slog.DiscardHandler)))
		b.Cleanup(func() { _ = p.Close(context.Background()) })
		if metrics {
			register(b, nil, p)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			p.LogAssignment(evs[i&(n-1)])
		}
	})
}

func forMetrics(b *testing.B, body func(b *testing.B, metrics bool)) {
	b.Run("metrics=off", func(b *testing.B) { body(b, false) })
	b.Run("metrics=on", func(b *testing.B) { body(b, true) })
}

// register publishes client and p to a MeterProvider that collects every 100 ms until the benchmark ends.
func register(b *testing.B, client *core.Client, p *batching.Processor) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	var opts []otelmetrics.Option
	opts = append(opts, otelmetrics.WithMeterProvider(mp))
	if p != nil {
		opts = append(opts, otelmetrics.WithProcessors(p))
	}
	closer, err := otelmetrics.Register(client, opts...)
	if err != nil {
		b.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	var collections atomic.Int64
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var rm metricdata.ResourceMetrics
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := reader.Collect(context.Background(), &rm); err != nil {
					b.Error(err)
				}
				collections.Add(1)
			}
		}
	}()
	b.Cleanup(func() {
		close(stop)
		<-done
		b.ReportMetric(float64(collections.Load()), "collections")
		closer.Close()
		mp.Shutdown(context.Background())
	})
}

// benchClient serves the conformance flags without a logger, like core's benchmarks, and returns a
// subject that new-user-onboarding assigns through its sharded "experiment" allocation.
func benchClient(b *testing.B, metrics bool) (*core.Client, string) {
	flags, err := os.ReadFile("../../testdata/sdk-test-data/ufc/flags-v1.json")
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := core.NewConfiguration(flags, nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		b.Fatal(err)
	}
	if metrics {
		register(b, c, nil)
	}
	for i := range 1000 {
		subject := fmt.Sprint("user-", i)
		_, d, err := c.GetStringAssignmentDetails("new-user-onboarding", subject, benchAttributes(), "default")
		if err == nil && d.MatchedAllocation != nil && d.MatchedAllocation.Key == "experiment" {
			return c, subject
		}
	}
	b.Fatal("no subject reaches the experiment allocation")
	return nil, ""
}

func benchAttributes() core.Attributes {
	return core.Attributes{"country": "France", "email": "someone@example.org", "age": 31}
}
