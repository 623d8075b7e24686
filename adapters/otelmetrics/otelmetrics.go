package otelmetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// MeterName is the instrumentation scope of every instrument.
const MeterName = "github.com/eppokit/eppokit"

// ProviderName is the value of feature_flag.provider.name.
const ProviderName = "eppokit"

// Option configures [Register].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	provider   metric.MeterProvider
	processors []*batching.Processor
}

// WithMeterProvider sets the MeterProvider the instruments are created with. Default
// otel.GetMeterProvider(), the global one: instruments registered before the application calls
// otel.SetMeterProvider move to that provider when it does.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.provider = mp
		}
	})
}

// WithProcessors adds pipelines whose counters are published, each under its name (eppokit.sink). For a
// batching.Fanout pass f.Processors()...; nil entries are ignored. The option may be given more than once.
func WithProcessors(ps ...*batching.Processor) Option {
	return optionFunc(func(c *config) {
		for _, p := range ps {
			if p != nil {
				c.processors = append(c.processors, p)
			}
		}
	})
}

// Register publishes the client's evaluation and configuration counters and the counters of the pipelines
// given with [WithProcessors] as observable instruments (see the package documentation for the list).
// client may be nil to publish pipelines only.
//
//	closer, err := otelmetrics.Register(client, otelmetrics.WithProcessors(p), otelmetrics.WithMeterProvider(mp))
//
// Processors' names must differ: two pipelines named alike would report the same series, and Register
// returns an error instead. Close the returned io.Closer to unregister; the instruments then report
// nothing more. Close is idempotent.
func Register(client *core.Client, opts ...Option) (io.Closer, error) {
	cfg := config{}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.provider == nil {
		cfg.provider = otel.GetMeterProvider()
	}
	names := map[string]bool{}
	for _, p := range cfg.processors {
		if names[p.Name()] {
			return nil, fmt.Errorf("otelmetrics: two processors are named %q; name them apart with batching.WithName", p.Name())
		}
		names[p.Name()] = true
	}
	meter := cfg.provider.Meter(MeterName, metric.WithInstrumentationVersion(core.SDKVersion))
	o, err := newObserver(meter, client, cfg.processors)
	if err != nil {
		return nil, err
	}
	reg, err := meter.RegisterCallback(o.observe, o.instruments()...)
	if err != nil {
		return nil, fmt.Errorf("otelmetrics: registering the callback: %w", err)
	}
	return &registration{reg: reg}, nil
}

// registration unregisters the callback once.
type registration struct {
	reg  metric.Registration
	once sync.Once
	err  error
}

// Close unregisters the instruments' callback.
func (r *registration) Close() error {
	r.once.Do(func() { r.err = r.reg.Unregister() })
	return r.err
}

// dropReasons lists every reason package batching reports, so that each series exists from the start.
var dropReasons = []batching.DropReason{
	batching.ReasonQueueFull, batching.ReasonClosed, batching.ReasonOversize, batching.ReasonEncode,
	batching.ReasonRejected, batching.ReasonRetriesExhausted, batching.ReasonMemoryLimit,
	batching.ReasonShutdown, batching.ReasonPanic,
}

// Attribute keys.
const (
	keySink        = attribute.Key("eppokit.sink")
	keyErrorType   = attribute.Key("error.type")
	keyFlag        = attribute.Key("feature_flag.key")
	keyVariant     = attribute.Key("feature_flag.result.variant")
	keyReason      = attribute.Key("feature_flag.result.reason")
	keyProvider    = attribute.Key("feature_flag.provider.name")
	keyFetchResult = attribute.Key("eppokit.fetch.result")
)

// observer holds the instruments and what one collection reads.
type observer struct {
	client *core.Client
	sinks  []sinkSeries

	accepted, deduplicated, delivered, retried, dropped metric.Int64ObservableCounter
	queueSize, queueCapacity                            metric.Int64ObservableGauge
	evaluations, fetches                                metric.Int64ObservableCounter
	configAge                                           metric.Float64ObservableGauge

	fetchUpdated, fetchUnchanged, fetchFailed metric.MeasurementOption
}

// sinkSeries is one processor with its attribute sets, built once.
type sinkSeries struct {
	p       *batching.Processor
	attrs   metric.MeasurementOption
	dropped map[batching.DropReason]metric.MeasurementOption
}

func newObserver(m metric.Meter, client *core.Client, ps []*batching.Processor) (*observer, error) {
	o := &observer{client: client}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	const exposure = "{exposure}"
	o.accepted = counter("eppokit.exposures.accepted", exposure,
		"Exposure events the pipeline took responsibility for, after dedupe.")
	o.deduplicated = counter("eppokit.exposures.deduplicated", exposure,
		"Exposure events suppressed as repeats by the pipeline's dedupe cache.")
	o.delivered = counter("eppokit.exposures.delivered", exposure,
		"Exposure events the sink accepted.")
	o.retried = counter("eppokit.exposures.retried", exposure,
		"Exposure events sent again after a failed attempt (one per event per retry).")
	o.dropped = counter("eppokit.exposures.dropped", exposure,
		"Exposure events given up on, by reason (error.type).")
	o.queueSize = gauge("eppokit.exposures.queue.size", exposure,
		"Exposure events waiting in the pipeline's intake queue.")
	o.queueCapacity = gauge("eppokit.exposures.queue.capacity", exposure,
		"How many exposure events the pipeline's intake queue holds.")
	o.evaluations = counter("feature_flag.evaluations", "{evaluation}",
		"Flag evaluations, by flag, variant, reason and error type.")
	o.fetches = counter("eppokit.configuration.fetches", "{fetch}",
		"Configuration fetch rounds from the CDN, by result (updated, unchanged, failed).")
	age, err := m.Float64ObservableGauge("eppokit.configuration.last_success.age", metric.WithUnit("s"),
		metric.WithDescription("Seconds since the last successful configuration fetch."))
	errs = append(errs, err)
	o.configAge = age
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("otelmetrics: creating instruments: %w", err)
	}

	for _, p := range ps {
		name := keySink.String(p.Name())
		s := sinkSeries{p: p, attrs: metric.WithAttributeSet(attribute.NewSet(name)),
			dropped: make(map[batching.DropReason]metric.MeasurementOption, len(dropReasons))}
		for _, r := range dropReasons {
			s.dropped[r] = metric.WithAttributeSet(attribute.NewSet(name, keyErrorType.String(string(r))))
		}
		o.sinks = append(o.sinks, s)
	}
	result := func(r string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(keyFetchResult.String(r)))
	}
	o.fetchUpdated, o.fetchUnchanged, o.fetchFailed = result("updated"), result("unchanged"), result("failed")
	return o, nil
}

func (o *observer) instruments() []metric.Observable {
	return []metric.Observable{o.accepted, o.deduplicated, o.delivered, o.retried, o.dropped,
		o.queueSize, o.queueCapacity, o.evaluations, o.fetches, o.configAge}
}

// observe is the collection callback: it reads each source once.
func (o *observer) observe(_ context.Context, obs metric.Observer) error {
	for i := range o.sinks {
		s := &o.sinks[i]
		st := s.p.Stats()
		obs.ObserveInt64(o.accepted, clamp(st.Accepted), s.attrs)
		obs.ObserveInt64(o.deduplicated, clamp(st.Deduplicated), s.attrs)
		obs.ObserveInt64(o.delivered, clamp(st.Delivered), s.attrs)
		obs.ObserveInt64(o.retried, clamp(st.Retried), s.attrs)
		for _, r := range dropReasons {
			obs.ObserveInt64(o.dropped, clamp(st.Dropped[r]), s.dropped[r])
		}
		for r, n := range st.Dropped { // a reason added to batching after this list
			if _, known := s.dropped[r]; !known {
				obs.ObserveInt64(o.dropped, clamp(n), metric.WithAttributes(
					keySink.String(st.Name), keyErrorType.String(string(r))))
			}
		}
		obs.ObserveInt64(o.queueSize, int64(st.QueueDepth), s.attrs)
		obs.ObserveInt64(o.queueCapacity, int64(st.QueueCapacity), s.attrs)
	}
	if o.client == nil {
		return nil
	}
	provider := keyProvider.String(ProviderName)
	for _, ec := range o.client.EvaluationCounts() {
		kv := make([]attribute.KeyValue, 0, 5)
		kv = append(kv, provider, keyReason.String(ec.Reason))
		if ec.Flag != "" {
			kv = append(kv, keyFlag.String(ec.Flag))
		}
		if ec.Variation != "" {
			kv = append(kv, keyVariant.String(ec.Variation))
		}
		if ec.ErrorType != "" {
			kv = append(kv, keyErrorType.String(ec.ErrorType))
		}
		obs.ObserveInt64(o.evaluations, clamp(ec.Count), metric.WithAttributeSet(attribute.NewSet(kv...)))
	}
	st := o.client.Stats()
	obs.ObserveInt64(o.fetches, clamp(st.Updates), o.fetchUpdated)
	obs.ObserveInt64(o.fetches, clamp(st.Unchanged), o.fetchUnchanged)
	obs.ObserveInt64(o.fetches, clamp(st.Failures), o.fetchFailed)
	if !st.LastSuccess.IsZero() {
		obs.ObserveFloat64(o.configAge, max(time.Since(st.LastSuccess).Seconds(), 0))
	}
	return nil
}

// clamp converts a counter to the int64 OpenTelemetry takes, saturating instead of wrapping.
func clamp(n uint64) int64 {
	return int64(min(n, math.MaxInt64))
}
