// Package batching is the asynchronous exposure pipeline shared by every adapter.
//
// [New] wraps a [Sink] in a [Processor]: the goroutine that asked for an assignment only runs the optional
// dedupe decision and one copy of the event into a slot of a bounded lock-free queue (no I/O, no
// encoding, no lock, no allocation). One batcher goroutine takes the queue, encodes events with the sink's [Encoder], and seals batches by count, bytes and linger time; a
// fixed number of exporter goroutines deliver them with retries (exponential backoff with jitter from
// github.com/cenkalti/backoff/v4, one backoff per batch, bounded by a retry count and a maximum elapsed
// time, honouring [RetryAfterError], stopped by Close's deadline). Errors marked [Permanent] drop their
// events as rejected; a [*PartialError] retries only the events that can still succeed.
//
// An idle processor does no work: the batcher parks until a sender finds it parked and wakes it, or until
// the linger time of an open batch ends. While events keep coming it looks at the queue again within
// min(5 ms, linger) of taking some, instead of parking, so that senders in a burst do not each pay for a
// wakeup; the first look that finds nothing parks it again.
//
// # Accounting
//
// Every event ends delivered or counted as dropped with a [DropReason], and [Processor.Stats] always
// satisfies Accepted = Delivered + sum(Dropped) + Pending; Pending is zero once Close returned.
// [Processor.Close] returns nil only when every event the processor ever accepted was delivered; otherwise
// an [*UndeliveredError] with the counts by reason over its whole life. The first permanent rejection is
// logged at ERROR through log/slog with the sink's reason; every log line is rate-limited and carries counts.
//
// # Memory
//
// [WithMemoryLimit] bounds the bytes the processor keeps on the heap: the queue's slots (allocated once,
// queue size × 384 bytes), the batch being built, every sealed batch by the storage it holds (a batch sealed short of half the batch size gets storage of
// its exact size), retry copies, and what the events point to (strings, attribute maps, IDs, encoded
// payloads; map sizes are estimated from their entries). [Stats.MemoryBytes] reports that count. At the cap
// the oldest batches waiting for export are dropped (reason memory_limit) to make room; a new event is
// refused with the same reason only when dropping every waiting batch would not make room. Between an
// event's arrival and that drop, the count can pass the cap by the waiting batches' bytes.
//
// # Dedupe
//
// With [WithDedupe] a [dedupe.Cache] sits in front of the queue; the Processor (and a [Fanout] over
// processors) implements core.AssignmentFilter and core.BanditFilter, so the client builds no event for a
// repeat exposure. A key is marked only when its event was accepted into the queue, and when an accepted
// event is dropped later, for any reason, its exposure is removed from the cache if the cache still holds
// that value for it: the next identical exposure is logged again.
//
// # Hooks
//
// [WithDropHook] and [WithErrorHook] run on a goroutine of their own, one call at a time, never on a
// logging goroutine, the batcher, an exporter or Close. Keep them fast: when they fall behind by more than
// 1,024 calls, drops are summed per reason and export errors only logged. Close waits for queued hook calls
// until its deadline; the rest finish after it returns.
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
//
// # Why a lock-free ring
//
// The queue is a bounded multi-producer ring with per-slot sequence numbers (ring.go). Behind the whole
// Processor it was measured against the plain design, a mutex and a slice the batcher takes whole (the
// version of this package before the ring came back), on this project's 2-core machine: five interleaved
// runs each, median ns/op, BenchmarkMD5Baseline at 119. With one sender they tie (BenchmarkLogAssignment
// ring 343-358, mutex 417, spread ±20 %); with two, the ring was ahead beyond the spread
// (BenchmarkLogAssignmentParallel 278 and 374, BenchmarkIntake 4.05 and 3.24 M events/s), so it stays.
// BenchmarkIntakeQueue keeps the two queues side by side on their own (two producers, one draining
// consumer, the pipeline's item type): there they tie on 2 cores, the ring's runs spreading more (23-90 ns
// per event against the mutex's 46-60), since three busy goroutines share two cores. Close cannot strand
// an event in the ring: a sender counts itself before checking whether Close began and ends counted as
// taken or refused, and the batcher's last drain waits until every counted sender has ended.
package batching
