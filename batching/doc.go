// Package batching is the asynchronous exposure pipeline shared by every adapter.
//
// [New] wraps a [Sink] in a [Processor]: the goroutine that asked for an assignment only runs the optional
// dedupe decision and a non-blocking offer to a bounded queue (no I/O, no encoding, no allocation). One
// batcher goroutine drains the queue, encodes events with the sink's [Encoder], and seals batches by count,
// bytes and linger time; a fixed number of exporter goroutines deliver them with retries (exponential backoff
// with jitter from github.com/cenkalti/backoff/v4, one backoff per batch, bounded by a retry count and a
// maximum elapsed time, honouring [RetryAfterError], stopped by Close's deadline). Errors marked [Permanent]
// drop their events as rejected; a [*PartialError] retries only the events that can still succeed.
//
// Memory is bounded end to end: the queue by its size, and the estimated bytes of queued, pending and
// in-flight events by [WithMemoryLimit]. When the cap is reached the oldest waiting batch is dropped
// (reason memory_limit); when only in-flight batches remain, new events are refused at intake.
//
// Every event ends delivered or counted as dropped with a [DropReason], and [Processor.Stats] always
// satisfies Accepted = Delivered + sum(Dropped) + Pending; Pending is zero once Close returned.
//
// # Delivery guarantee
//
// At-least-once for every accepted event while the process lives and the sink recovers within the retry
// budget ([WithMaxRetries], [WithMaxElapsedTime]). Events are not persisted: a crash loses what is queued.
// A retried batch keeps its ID and every event its [Event.ID], so sinks that dedupe on a message ID (Segment's
// messageId) turn retries into exactly-once; others may see a duplicate when an attempt timed out after the
// peer accepted it. Every other outcome (queue full, memory limit, permanent rejection, oversize, retries
// exhausted, Close deadline, sink panic) is a counted drop.
//
// For several sinks at once use [NewFanout]: each sink keeps its own queue, goroutines and counters, so a
// dead endpoint cannot slow the others.
package batching
