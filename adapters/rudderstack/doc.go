// Package rudderstack delivers exposure events to a RudderStack data plane as Track calls, through
// RudderStack's client library, github.com/rudderlabs/analytics-go/v4.
//
// Each event becomes one Track call: event "Eppo Randomization Assignment" or "Eppo Bandit Action"
// (configurable), userId = the subject, originalTimestamp = when the exposure happened, messageId = the
// pipeline's event ID (stable across retries, so a batch sent twice can be deduplicated), and properties
// = the event's fields under their JSON names (featureFlag, allocation, ..., metaData with sdkName,
// sdkLanguage and sdkVersion). Request bodies are gzip-compressed unless [Config.DisableGzip] is set.
//
// # Use
//
// Every adapter of this module has the same shape: [NewLogger](cfg, opts...) returns a ready pipeline
// (a *batching.Processor, the client's AssignmentLogger and BanditLogger) whose LogAssignment and
// LogBanditAction never block; [NewSink](cfg) returns the [Sink] alone, for batching.New. In [Config],
// WriteKey and DataPlaneURL are required and every other zero field means its documented default; bring
// your own *http.Client for a proxy or TLS settings. NewLogger's pipeline is batching's defaults plus the
// name "rudderstack", 4 exports at a time and batches of [DefaultBatchSize] (256, where batching's
// default is 512). A Config that cannot work is refused with an error wrapping
// [ErrInvalidConfig]; Export after Close fails with [ErrClosed], which is batching.ErrClosed.
//
// # What it fixes in the library
//
// analytics-go/v4 is a fork of Segment's analytics-go/v3 with the same pitfalls (a blocking Enqueue,
// up to 1000 request goroutines, ten retries of every failure, retrying batches dropped on Close, no
// Flush) plus a recursive resend on HTTP 451 meant for its multi-node proxy. Here:
//
//   - The library is only called from the pipeline's export goroutines, never from an assignment.
//   - Export waits for the library's Callback for every messageId, so a nil return means the data plane
//     answered 2xx for every event. Failures come back per event, classified: 408, 429 (with its
//     Retry-After), 5xx and network errors are transient; any other status (451 included), a message over
//     the library's 32 KB limit or an event without a subject is permanent. An event not answered for when
//     the export's context ends is a transient failure, never a delivery.
//   - The pipeline owns retries. The library's own retries are answered by the sink's HTTP transport from
//     memory, with the first failure; the data plane sees one request per pipeline attempt, and the 451
//     resend path is never taken. NoProxySupport is set: no RS-* routing headers, no /cluster-info calls.
//   - Close returns when its context ends, even with a request hanging, and aborts what is in flight.
//
// # Limits
//
// The batch API answers per request, not per message, so a 4xx refuses every event of that request. An
// event whose Export stopped waiting can still be confirmed later by the library although the pipeline
// already counted it as failed; the pipeline may then resend it under the same messageId, for downstream
// deduplication.
package rudderstack
