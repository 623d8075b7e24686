// Package otelmetrics publishes eppokit's counters as OpenTelemetry metrics, and through OpenTelemetry's
// Prometheus exporter as Prometheus series.
//
// [Register] adds observable instruments to a MeterProvider. They are read when the provider collects:
// nothing is recorded on the assignment or logging path, which keeps counting in its own atomics
// (core's per-flag evaluation counters and each batching.Processor's Stats). Registering therefore adds
// no cost and no allocation to an assignment call.
//
// # Instruments
//
// Every pipeline series carries the attribute eppokit.sink, the processor's name (batching.WithName).
//
//	instrument                             kind              unit          value
//	eppokit.exposures.accepted             counter           {exposure}    Stats.Accepted
//	eppokit.exposures.deduplicated         counter           {exposure}    Stats.Deduplicated
//	eppokit.exposures.delivered            counter           {exposure}    Stats.Delivered
//	eppokit.exposures.retried              counter           {exposure}    Stats.Retried
//	eppokit.exposures.dropped              counter           {exposure}    Stats.Dropped, reason in error.type
//	eppokit.exposures.queue.size           gauge             {exposure}    Stats.QueueDepth
//	eppokit.exposures.queue.capacity       gauge             {exposure}    Stats.QueueCapacity
//	feature_flag.evaluations               counter           {evaluation}  core.Client.EvaluationCounts
//	eppokit.configuration.fetches          counter           {fetch}       core.Client.Stats, by eppokit.fetch.result
//	eppokit.configuration.last_success.age gauge (float)     s             time since the last successful fetch
//
// Counters are observable (asynchronous) counters, gauges observable gauges. Every drop reason of package
// batching is reported from the start, at 0 until it happens, so that rate() and alerts see the first
// drop. At every collection, for each sink,
//
//	accepted = delivered + sum(dropped) + pending
//
// where pending is what the pipeline still holds (queued, batched or in flight).
//
// feature_flag.evaluations follows OpenTelemetry's feature flag conventions: feature_flag.key,
// feature_flag.result.variant (the variation key, absent when the default was returned),
// feature_flag.result.reason (targeting_match, split, static, default, disabled or error), error.type on
// errors (flag_not_found, type_mismatch, parse_error, targeting_key_missing, provider_not_ready, general)
// and feature_flag.provider.name = "eppokit". Evaluations that name no flag of the configuration (no
// configuration yet, unknown or empty flag keys) have no feature_flag.key.
//
// eppokit.configuration.fetches counts CDN fetch rounds by eppokit.fetch.result: updated, unchanged or
// failed. eppokit.configuration.last_success.age is only reported once a fetch has succeeded.
//
// # Prometheus
//
// With go.opentelemetry.io/otel/exporters/prometheus, the names become eppokit_exposures_delivered_total,
// eppokit_exposures_dropped_total{error_type="queue_full"}, eppokit_exposures_queue_size,
// feature_flag_evaluations_total{feature_flag_key="...",feature_flag_result_variant="..."},
// eppokit_configuration_last_success_age_seconds and so on (see the example).
//
// Register each client and processor once per MeterProvider: two registrations of the same sink would
// report the same series twice.
package otelmetrics
