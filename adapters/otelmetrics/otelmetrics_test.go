package otelmetrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/eppokit/eppokit/adapters/otelmetrics"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// testSink records what it delivers. failFirst fails the first Export (a transient error), hang makes every
// Export wait for release.
type testSink struct {
	failFirst bool
	hang      chan struct{}

	mu        sync.Mutex
	calls     int
	failed    int // events of failed attempts
	delivered int
}

func (s *testSink) Export(ctx context.Context, b batching.Batch) error {
	if s.hang != nil {
		select {
		case <-s.hang:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failFirst && s.calls == 1 {
		s.failed += len(b.Events)
		return errors.New("HTTP 503")
	}
	s.delivered += len(b.Events)
	return nil
}

func (s *testSink) Close(context.Context) error { return nil }

// collected is one collection: value per instrument and attribute set ("k=v,k=v", keys sorted).
type collected struct {
	ints   map[string]map[string]int64
	floats map[string]map[string]float64
	meta   map[string]metricdata.Metrics
}

func collect(t *testing.T, r *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	c := collected{ints: map[string]map[string]int64{}, floats: map[string]map[string]float64{},
		meta: map[string]metricdata.Metrics{}}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelmetrics.MeterName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelmetrics.MeterName)
		}
		for _, m := range sm.Metrics {
			c.meta[m.Name] = m
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s is not a cumulative monotonic sum", m.Name)
				}
				c.ints[m.Name] = intPoints(d.DataPoints)
			case metricdata.Gauge[int64]:
				c.ints[m.Name] = intPoints(d.DataPoints)
			case metricdata.Gauge[float64]:
				c.floats[m.Name] = map[string]float64{}
				for _, p := range d.DataPoints {
					c.floats[m.Name][attrs(p.Attributes)] = p.Value
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return c
}

func intPoints(ps []metricdata.DataPoint[int64]) map[string]int64 {
	out := map[string]int64{}
	for _, p := range ps {
		out[attrs(p.Attributes)] = p.Value
	}
	return out
}

func attrs(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// cdn serves the configuration as Eppo's CDN would.
func cdn(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/flag-config/v1/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, ufc)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestManualReader: after assignments, exposures and drops, one collection shows every instrument with
// the values the client, the sink and the processor saw.
func TestManualReader(t *testing.T) {
	ctx := context.Background()
	sink := &testSink{failFirst: true}
	p := batching.New(sink, batching.WithName("warehouse"), batching.WithDedupe(dedupe.Options{}),
		batching.WithQueueSize(64), batching.WithRetryInterval(time.Millisecond, 5*time.Millisecond))
	client, err := core.NewClient(core.Config{APIKey: "test-key", BaseURL: cdn(t), DisablePolling: true,
		AssignmentLogger: p})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(ctx)
	if err := client.WaitForInitialization(ctx); err != nil {
		t.Fatal(err)
	}

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	closer, err := otelmetrics.Register(client, otelmetrics.WithProcessors(p), otelmetrics.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}

	// N = 12 assignments of 4 subjects: 4 exposures, 8 repeats.
	const subjects, repeats = 4, 3
	for range repeats {
		for i := range subjects {
			if v, err := client.GetStringAssignment("checkout", fmt.Sprint("user-", i), nil, "off"); v != "on" || err != nil {
				t.Fatalf("assignment = %q, %v", v, err)
			}
		}
	}
	client.GetStringAssignment("no-such-flag", "user-0", nil, "off")
	client.GetStringAssignment("no-such-flag", "user-1", nil, "off")
	client.GetBooleanAssignment("checkout", "user-0", nil, false) // type mismatch
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// M = 3 exposures after Close: dropped as "closed".
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	const late = 3
	for i := range late {
		client.GetStringAssignment("checkout", fmt.Sprint("late-", i), nil, "off")
	}

	got := collect(t, reader)
	sinkAttr := "eppokit.sink=warehouse"
	sink.mu.Lock()
	delivered, retried := sink.delivered, sink.failed
	sink.mu.Unlock()
	if delivered != subjects || retried == 0 {
		t.Fatalf("sink delivered %d (want %d) after failing %d", delivered, subjects, retried)
	}
	want := map[string]map[string]int64{
		"eppokit.exposures.accepted":       {sinkAttr: subjects + late},
		"eppokit.exposures.deduplicated":   {sinkAttr: subjects * (repeats - 1)},
		"eppokit.exposures.delivered":      {sinkAttr: int64(delivered)},
		"eppokit.exposures.retried":        {sinkAttr: int64(retried)},
		"eppokit.exposures.queue.size":     {sinkAttr: 0},
		"eppokit.exposures.queue.capacity": {sinkAttr: 64},
		"eppokit.exposures.dropped": {
			"eppokit.sink=warehouse,error.type=closed":            late,
			"eppokit.sink=warehouse,error.type=encode":            0,
			"eppokit.sink=warehouse,error.type=memory_limit":      0,
			"eppokit.sink=warehouse,error.type=oversize":          0,
			"eppokit.sink=warehouse,error.type=panic":             0,
			"eppokit.sink=warehouse,error.type=queue_full":        0,
			"eppokit.sink=warehouse,error.type=rejected":          0,
			"eppokit.sink=warehouse,error.type=retries_exhausted": 0,
			"eppokit.sink=warehouse,error.type=shutdown":          0,
		},
		"feature_flag.evaluations": {
			"feature_flag.key=checkout,feature_flag.provider.name=eppokit,feature_flag.result.reason=static,feature_flag.result.variant=on": subjects*repeats + late,
			"error.type=type_mismatch,feature_flag.key=checkout,feature_flag.provider.name=eppokit,feature_flag.result.reason=error":        1,
			"error.type=flag_not_found,feature_flag.provider.name=eppokit,feature_flag.result.reason=error":                                 2,
		},
		"eppokit.configuration.fetches": {
			"eppokit.fetch.result=updated":   1,
			"eppokit.fetch.result=unchanged": 0,
			"eppokit.fetch.result=failed":    0,
		},
	}
	for name, points := range want {
		if !mapsEqual(got.ints[name], points) {
			t.Errorf("%s:\n got %v\nwant %v", name, got.ints[name], points)
		}
	}
	if age, ok := got.floats["eppokit.configuration.last_success.age"][""]; !ok || age < 0 || age > 600 {
		t.Errorf("eppokit.configuration.last_success.age = %v (present %v)", age, ok)
	}
	for name, unit := range map[string]string{"eppokit.exposures.accepted": "{exposure}",
		"eppokit.exposures.queue.size": "{exposure}", "feature_flag.evaluations": "{evaluation}",
		"eppokit.configuration.last_success.age": "s"} {
		if m := got.meta[name]; m.Unit != unit || m.Description == "" {
			t.Errorf("%s: unit %q (want %q), description %q", name, m.Unit, unit, m.Description)
		}
	}

	// accepted = delivered + dropped + pending, with the pipeline's own pending count.
	var dropped int64
	for _, n := range got.ints["eppokit.exposures.dropped"] {
		dropped += n
	}
	accepted := got.ints["eppokit.exposures.accepted"][sinkAttr]
	if pending := int64(p.Stats().Pending); accepted != got.ints["eppokit.exposures.delivered"][sinkAttr]+dropped+pending {
		t.Errorf("accepted %d != delivered %d + dropped %d + pending %d", accepted,
			got.ints["eppokit.exposures.delivered"][sinkAttr], dropped, pending)
	}

	// Close unregisters: the next collection has no eppokit series.
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := closer.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	after := collect(t, reader)
	for name, points := range after.ints {
		if len(points) > 0 {
			t.Errorf("after Close, %s still reports %v", name, points)
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A pipeline under load: the identity holds in every collection while events flow and settle.
func TestIdentityWhileLogging(t *testing.T) {
	ctx := context.Background()
	p := batching.New(&testSink{}, batching.WithName("busy"), batching.WithQueueSize(8))
	defer p.Close(ctx)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	closer, err := otelmetrics.Register(nil, otelmetrics.WithProcessors(p), otelmetrics.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20000 {
			p.LogAssignment(core.AssignmentEvent{FeatureFlag: "f", Subject: fmt.Sprint(i), Variation: "v"})
		}
	}()
	check := func() {
		got := collect(t, reader)
		var dropped int64
		for _, n := range got.ints["eppokit.exposures.dropped"] {
			dropped += n
		}
		accepted, delivered := got.ints["eppokit.exposures.accepted"]["eppokit.sink=busy"],
			got.ints["eppokit.exposures.delivered"]["eppokit.sink=busy"]
		// Collected before pending is known, so the settled part can only be at most accepted.
		if delivered+dropped > accepted {
			t.Fatalf("delivered %d + dropped %d > accepted %d", delivered, dropped, accepted)
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			check()
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := collect(t, reader)
	var dropped int64
	for _, n := range got.ints["eppokit.exposures.dropped"] {
		dropped += n
	}
	if a, d := got.ints["eppokit.exposures.accepted"]["eppokit.sink=busy"], got.ints["eppokit.exposures.delivered"]["eppokit.sink=busy"]; a != 20000 || a != d+dropped {
		t.Errorf("after Flush: accepted %d, delivered %d, dropped %d", a, d, dropped)
	}
}

func TestRegisterRejectsDuplicateSinkNames(t *testing.T) {
	ctx := context.Background()
	p1, p2 := batching.New(nil, batching.WithName("kafka")), batching.New(nil, batching.WithName("kafka"))
	defer p1.Close(ctx)
	defer p2.Close(ctx)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(ctx)
	if _, err := otelmetrics.Register(nil, otelmetrics.WithProcessors(p1, p2), otelmetrics.WithMeterProvider(mp)); err == nil ||
		!strings.Contains(err.Error(), `"kafka"`) {
		t.Fatalf("Register with two sinks named kafka: err = %v", err)
	}
}

// Without WithMeterProvider, Register uses the global provider, and instruments registered before the
// application sets it reach it once it is set.
func TestGlobalMeterProvider(t *testing.T) {
	ctx := context.Background()
	cfg, err := core.NewConfiguration([]byte(ufc), nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	closer, err := otelmetrics.Register(client)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	client.GetStringAssignment("checkout", "user-1", nil, "off")

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	otel.SetMeterProvider(mp)
	defer otel.SetMeterProvider(noop.NewMeterProvider())

	got := collect(t, reader).ints["feature_flag.evaluations"]
	want := map[string]int64{"feature_flag.key=checkout,feature_flag.provider.name=eppokit,feature_flag.result.reason=static,feature_flag.result.variant=on": 1}
	if !mapsEqual(got, want) {
		t.Errorf("feature_flag.evaluations = %v, want %v", got, want)
	}
}
