package batching

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// Kind is dedupe.Kind: the pipeline and the dedupe cache share one kind type. The alias and the constants
// below let a sink name an event's kind without importing dedupe.
type Kind = dedupe.Kind

// Event kinds, as [Event.Kind] carries them.
const (
	KindAssignment = dedupe.KindAssignment
	KindBandit     = dedupe.KindBandit
)

// Event is one exposure on its way to a sink. Exactly one of Assignment and Bandit is set, as Kind says.
type Event struct {
	// ID is unique per event and stable across retries: sinks that can dedupe (Segment's messageId, a Kafka
	// header, a CSV column) should send it.
	ID         string
	Kind       Kind
	Assignment *core.AssignmentEvent
	Bandit     *core.BanditEvent
	// Payload is what the sink's [Encoder] produced for this event, computed once on a pipeline goroutine and
	// kept across retries. It is nil when the sink does not implement Encoder.
	Payload []byte
}

// Batch is the unit handed to [Sink.Export].
type Batch struct {
	// ID is stable across the retries of this batch.
	ID string
	// Attempt is 1 on the first try and grows by one per retry.
	Attempt int
	Events  []Event
}

// Sink delivers batches somewhere: the interface every adapter implements.
//
// The pipeline calls Export from its own goroutines, never from the goroutine that asked for an assignment.
// Export may be called concurrently only when the pipeline was built with an export concurrency above one;
// adapters in this module are safe either way. Export must honour ctx and must not keep b.Events after it
// returns.
//
// Export returns nil when every event was delivered. Otherwise it returns an error the pipeline classifies:
// wrap permanent failures with [Permanent], report a server's requested wait with [RetryAfter], and report
// per-event failures with [*PartialError]. Any other error (backoff.PermanentError included: [Permanent]
// is the one way to say "do not retry") is treated as transient and retried.
type Sink interface {
	Export(ctx context.Context, b Batch) error
	// Close releases the sink's resources after the last Export. It must return when ctx ends.
	Close(ctx context.Context) error
}

// Encoder is implemented by sinks that ship bytes. The pipeline calls Encode once per event, off the hot
// path, stores the result in [Event.Payload], batches by its length, and drops (reason "oversize") an event
// whose payload exceeds [SizeLimiter.MaxEventBytes]. An Encode error drops that event alone (reason "encode").
type Encoder interface {
	Encode(e *Event) ([]byte, error)
}

// SizeLimiter is implemented by sinks that refuse events above a size, in bytes of their Encoder's output.
type SizeLimiter interface {
	MaxEventBytes() int
}

// Flusher is implemented by sinks that buffer on their own (a file, a client library with its own queue).
// The pipeline calls Flush after delivering everything on [Processor.Flush] and before Close.
type Flusher interface {
	Flush(ctx context.Context) error
}

// errPermanent is what [Permanent] adds to an error's chain.
var errPermanent = errors.New("permanent failure")

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() []error {
	return []error{e.err, errPermanent}
}

// Permanent marks err as not worth retrying (an HTTP 4xx other than 408/429, an invalid message).
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked with [Permanent].
func IsPermanent(err error) bool { return errors.Is(err, errPermanent) }

// RetryAfterError carries the wait a peer asked for (an HTTP Retry-After header) with a transient failure.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

// Error renders the failure and the wait asked for.
func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

// Unwrap returns the transient failure.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns a transient error that asks the pipeline to wait at least d before the next attempt.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryAfterError{Err: err, After: d}
}

// PartialError reports that only some events of a batch failed. Failed maps an index into [Batch.Events] to
// that event's error, classified like any Export error. Events not in Failed were delivered.
type PartialError struct {
	Failed map[int]error
}

// Error names how many events failed and the cause of the first of them (by index).
func (e *PartialError) Error() string {
	first := -1
	for i := range e.Failed {
		if first < 0 || i < first {
			first = i
		}
	}
	if first < 0 {
		return "0 events of the batch failed"
	}
	return fmt.Sprintf("%d event(s) of the batch failed; event %d: %v", len(e.Failed), first, e.Failed[first])
}
