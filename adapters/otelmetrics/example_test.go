package otelmetrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/eppokit/eppokit/adapters/otelmetrics"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// ufc is a configuration with one logged STRING flag, checkout, that serves "on" to everyone.
const ufc = `{"format": "SERVER", "environment": {"name": "Test"}, "flags": {
  "checkout": {"key": "checkout", "enabled": true, "variationType": "STRING", "totalShards": 10000,
    "variations": {"on": {"key": "on", "value": "on"}},
    "allocations": [{"key": "all", "splits": [{"variationKey": "on", "shards": []}], "doLog": true}]}}}`

// Publish a client's evaluations and its pipeline's counters to an OpenTelemetry MeterProvider. Here a
// ManualReader collects once; in production a periodic reader with an OTLP exporter would.
func ExampleRegister() {
	ctx := context.Background()
	pipeline := batching.New(nil, batching.WithName("warehouse")) // nil sink: discards, counted delivered
	cfg, _ := core.NewConfiguration([]byte(ufc), nil)
	client, _ := core.NewClient(core.Config{InitialConfiguration: cfg, AssignmentLogger: pipeline})

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	closer, err := otelmetrics.Register(client, otelmetrics.WithProcessors(pipeline), otelmetrics.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closer.Close()

	client.GetStringAssignment("checkout", "user-1", nil, "off")
	client.GetStringAssignment("checkout", "user-2", nil, "off")
	pipeline.Close(ctx) // delivers everything

	var rm metricdata.ResourceMetrics
	reader.Collect(ctx, &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && (m.Name == "eppokit.exposures.delivered" || m.Name == "feature_flag.evaluations") {
			for _, p := range sum.DataPoints {
				fmt.Println(m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value)
			}
		}
	}
	// Unordered output:
	// eppokit.exposures.delivered eppokit.sink=warehouse 2
	// feature_flag.evaluations feature_flag.key=checkout,feature_flag.provider.name=eppokit,feature_flag.result.reason=static,feature_flag.result.variant=on 2
}

// Serve the same instruments to Prometheus through OpenTelemetry's Prometheus exporter.
func ExampleRegister_prometheus() {
	registry := prometheus.NewRegistry()
	exporter, _ := otelprom.New(otelprom.WithRegisterer(registry), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	pipeline := batching.New(nil, batching.WithName("kafka"))
	defer pipeline.Close(context.Background())
	cfg, _ := core.NewConfiguration([]byte(ufc), nil)
	client, _ := core.NewClient(core.Config{InitialConfiguration: cfg, AssignmentLogger: pipeline})
	closer, _ := otelmetrics.Register(client, otelmetrics.WithProcessors(pipeline), otelmetrics.WithMeterProvider(mp))
	defer closer.Close()

	srv := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{})) // your /metrics
	defer srv.Close()
	client.GetStringAssignment("checkout", "user-1", nil, "off")

	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if l := lines.Text(); strings.HasPrefix(l, "feature_flag_evaluations_total") ||
			strings.HasPrefix(l, `eppokit_exposures_dropped_total{eppokit_sink="kafka",error_type="queue_full"}`) ||
			strings.HasPrefix(l, "eppokit_exposures_accepted_total") {
			fmt.Println(l)
		}
	}
	// Output:
	// eppokit_exposures_accepted_total{eppokit_sink="kafka"} 1
	// eppokit_exposures_dropped_total{eppokit_sink="kafka",error_type="queue_full"} 0
	// feature_flag_evaluations_total{feature_flag_key="checkout",feature_flag_provider_name="eppokit",feature_flag_result_reason="static",feature_flag_result_variant="on"} 1
}
