// Package kafka delivers exposure events to Kafka topics with github.com/segmentio/kafka-go.
//
// A [Sink] wraps one kafka.Writer and is driven synchronously by the batching pipeline: each Export is one
// WriteMessages call, bounded by the pipeline's context, whose result is reported event by event. The
// writer is configured for that use rather than with kafka-go's defaults, which lose or stall exposures:
//
//   - RequiredAcks is explicit, all in-sync replicas by default ([WithRequiredAcks]); the zero value of
//     kafka.Writer does not wait for any acknowledgement.
//   - BatchTimeout is a few milliseconds ([WithBatchTimeout]); kafka-go's 1 s default makes every
//     synchronous write that does not fill a partition batch wait a full second. Its BatchSize follows the
//     pipeline's batch size ([WithBatchSize]), so a full pipeline batch on one partition is sent at once.
//   - kafka-go retries internally only MaxAttempts times ([WithMaxAttempts], default 1): the pipeline's
//     backoff and drop accounting own retries.
//   - Close is bounded by its context even with every broker down; kafka-go's own Close waits for
//     in-flight writes without a limit.
//
// # Messages
//
// Each event is one message keyed by its subject, so that one subject's exposures stay in order on one
// partition (the default balancer is kafka.Hash). The value is a JSON object with the field names of
// pipeline.md §1 (camelCase; Eppo's snake_case warehouse names with [WithWarehouseNaming]). Headers carry
// the event ID ([HeaderEventID], stable across retries, for downstream dedupe) and the event kind
// ([HeaderEventKind]). Assignments and bandit actions go to separate topics by default ([WithTopic],
// [WithBanditTopic]).
//
// # Delivery and errors
//
// Delivery is at least once: a write that timed out may still land, and a retried batch may then be stored
// twice (same event ID). Retriable failures (kafka errors marked temporary, network errors, timeouts) are
// returned as transient errors; a message the broker refuses as too large or invalid, an authorisation
// failure or a closed sink is permanent, per event when kafka-go reports per-message results. Events
// larger than [WithMaxMessageBytes] are refused by the pipeline before they reach Kafka ([batching.SizeLimiter]).
package kafka
