// Package trackexport is what the Segment and RudderStack adapters share. Their client libraries
// (segmentio/analytics-go/v3 and its fork rudderlabs/analytics-go/v4) have the same shape: a blocking
// Enqueue into a 100-slot channel, one loop goroutine that batches, a goroutine per HTTP batch, ten
// attempts per batch, and a Callback told Success or Failure per message. This package turns such a
// client into a [batching.Sink] whose answers are the truth. An adapter hands [NewSink] the Config fields
// both adapters have through [Common], its base-URL field as a [URL] and its library as a [Library] (its
// name and sentinel, how to start the client, build its Track type and read a messageId back); the
// settings are checked and defaulted once, here, for both, and NewSink returns the adapter's own Sink type.
// [NewLogger] adds the pipeline defaults both adapters give.
//
//   - [Build] renders an event as a Track call: userId = subject, messageId = the event ID (stable across
//     the pipeline's retries, so the service can dedupe) and properties = the event's fields under their JSON
//     names (featureFlag, allocation, ..., metaData).
//   - [Exporter.Export] enqueues a batch and waits, per messageId, for the library's Callback until its
//     context ends. An event the library has not answered for by then is a transient failure, never a
//     delivery.
//   - [Transport] sits under the library's HTTP client. It bounds every request with a timeout, turns a
//     non-2xx answer into a [*StatusError] (status and Retry-After) that reaches the Callback, and replays
//     that failure, without touching the network, when the library retries the same request body: the
//     pipeline owns retries and backoff, the library never hammers a failing peer.
package trackexport
