package otelmetrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/eppokit/eppokit/adapters/otelmetrics"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// TestPrometheus serves the instruments through OpenTelemetry's Prometheus exporter and promhttp, as an
// application would, and scrapes them over HTTP while the sink hangs.
func TestPrometheus(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(ctx)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	sink := &testSink{hang: make(chan struct{})}
	p := batching.New(sink, batching.WithName("kafka"), batching.WithQueueSize(1), batching.WithBatchSize(1),
		batching.WithExportTimeout(time.Hour), batching.WithLogger(slog.New(slog.DiscardHandler)))
	defer func() {
		close(sink.hang)
		p.Close(ctx)
	}()
	cfg, err := core.NewConfiguration([]byte(ufc), nil)
	if err != nil {
		t.Fatal(err)
	}
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg, AssignmentLogger: p})
	if err != nil {
		t.Fatal(err)
	}
	closer, err := otelmetrics.Register(client, otelmetrics.WithProcessors(p), otelmetrics.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()

	for i := range 3 {
		client.GetStringAssignment("checkout", fmt.Sprint("user-", i), nil, "off")
	}
	client.GetStringAssignment("no-such-flag", "user-0", nil, "off")

	scope := fmt.Sprintf(`otel_scope_name=%q,otel_scope_schema_url="",otel_scope_version=%q`,
		otelmetrics.MeterName, core.SDKVersion)
	expected := fmt.Sprintf(`# HELP eppokit_exposures_delivered_total Exposure events the sink accepted.
# TYPE eppokit_exposures_delivered_total counter
eppokit_exposures_delivered_total{eppokit_sink="kafka",%[1]s} 0
# HELP eppokit_exposures_queue_capacity How many exposure events the pipeline's intake queue holds.
# TYPE eppokit_exposures_queue_capacity gauge
eppokit_exposures_queue_capacity{eppokit_sink="kafka",%[1]s} 1
# HELP eppokit_exposures_accepted_total Exposure events the pipeline took responsibility for, after dedupe.
# TYPE eppokit_exposures_accepted_total counter
eppokit_exposures_accepted_total{eppokit_sink="kafka",%[1]s} 3
# HELP feature_flag_evaluations_total Flag evaluations, by flag, variant, reason and error type.
# TYPE feature_flag_evaluations_total counter
feature_flag_evaluations_total{error_type="flag_not_found",feature_flag_provider_name="eppokit",feature_flag_result_reason="error",%[1]s} 1
feature_flag_evaluations_total{feature_flag_key="checkout",feature_flag_provider_name="eppokit",feature_flag_result_reason="static",feature_flag_result_variant="on",%[1]s} 3
`, scope)
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(expected), "eppokit_exposures_delivered_total",
		"eppokit_exposures_queue_capacity", "eppokit_exposures_accepted_total", "feature_flag_evaluations_total"); err != nil {
		t.Fatal(err)
	}

	// The sink hangs and the queue holds one event: logging faster than the batcher can move events
	// shows up as queue_full drops in the scrape.
	before := scrapeValue(t, srv.URL, "eppokit_exposures_dropped_total", "error_type", "queue_full")
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		for j := range 1000 {
			p.LogAssignment(core.AssignmentEvent{FeatureFlag: "checkout", Subject: fmt.Sprint("load-", i, "-", j), Variation: "on"})
		}
		if scrapeValue(t, srv.URL, "eppokit_exposures_dropped_total", "error_type", "queue_full") > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no queue_full drops reported after %d events into a hung sink; stats %+v", (i+1)*1000, p.Stats())
		}
	}
	if got := scrapeValue(t, srv.URL, "eppokit_exposures_delivered_total", "eppokit_sink", "kafka"); got != 0 {
		t.Errorf("a hung sink delivered %v", got)
	}
}

// scrapeValue fetches url and returns the value of the series of metric whose label has value.
func scrapeValue(t *testing.T, url, metric, label, value string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := families[metric]
	if !ok {
		t.Fatalf("scrape has no %s", metric)
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("scrape has no %s{%s=%q}", metric, label, value)
	return 0
}
