// Package segment delivers exposure events to Segment as Track calls, through Segment's own client
// library, github.com/segmentio/analytics-go/v3.
//
// Each event becomes one Track call: event "Eppo Randomization Assignment" or "Eppo Bandit Action"
// (configurable), userId = the subject, timestamp = when the exposure happened, messageId = the
// pipeline's event ID (stable across retries, so Segment deduplicates a batch sent twice), and properties
// = the event's fields under their JSON names (featureFlag, allocation, experiment, variation, subject,
// subjectAttributes, timestamp, metaData with sdkName, sdkLanguage and sdkVersion, extraLogging; the
// bandit fields likewise).
//
// # Use
//
// Every adapter of this module has the same shape: [NewLogger](cfg, opts...) returns a ready pipeline
// (a *batching.Processor, the client's AssignmentLogger and BanditLogger) whose LogAssignment and
// LogBanditAction never block; [NewSink](cfg) returns the [Sink] alone, for batching.New. In [Config],
// only WriteKey is required and every zero field means its documented default; bring your own
// *http.Client for a proxy or TLS settings. NewLogger's pipeline is batching's defaults plus the name
// "segment", 4 exports at a time and batches of [DefaultBatchSize]. A Config that cannot work is
// refused with an error wrapping [ErrInvalidConfig]; Export after Close fails with [ErrClosed], which is
// batching.ErrClosed.
//
// # What it fixes in the library
//
// Used directly, analytics-go/v3 blocks Enqueue when its 100-slot channel is full, runs up to 1000
// request goroutines, retries every failure (4xx included) ten times, drops the batches waiting to retry
// on Close, and has no Flush. Here:
//
//   - The library is only called from the pipeline's export goroutines, never from an assignment.
//   - Export enqueues a batch and then waits for the library's Callback for every messageId, so a nil
//     return means Segment answered 2xx for every event. Failures come back per event, classified: 408,
//     429 (with its Retry-After), 5xx and network errors are transient; any other status, a message over
//     the library's 32 KB limit or an event without a subject is permanent. An event the library has not
//     answered for when the export's context ends is a transient failure, never a delivery.
//   - The pipeline owns retries and backoff. The library's own retries are answered by the sink's HTTP
//     transport from memory, at once, with the first failure: Segment sees one request per pipeline
//     attempt. Every request is bounded by [Config.RequestTimeout].
//   - Close returns when its context ends, even with a request hanging; the requests still in flight are
//     then aborted so the library's goroutines end too.
//
// # Limits
//
// Segment's batch API answers per request, not per message, so a 4xx refuses every event of that HTTP
// request. An event whose Export stopped waiting can still be confirmed later by the library (the request
// was under way) although the pipeline already counted it as failed; the pipeline may then send it
// again under the same messageId, which Segment deduplicates. analytics-go/v3 has no gzip option: bodies are plain JSON.
package segment
