package trackexport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/eppokit/eppokit/batching"
)

// errNoAnswer is the transient failure of an event the library did not answer for in time.
var errNoAnswer = errors.New("no confirmation from the library before the export deadline")

// errDuplicate is the transient failure of an event whose ID another Export is still waiting for.
var errDuplicate = errors.New("an event with the same ID is still in flight")

// Client is the part of an analytics library client the exporter drives. Enqueue may block while the
// library's loop goroutine is busy; Close flushes and waits for the library's goroutines.
type Client interface {
	Enqueue(Message) error
	Close() error
}

// Options configure an [Exporter].
type Options struct {
	// Adapter names the adapter in error messages ("segment", "rudderstack").
	Adapter string
	// Names are the Track event names.
	Names Names
	// Transport is the transport given to the library; Close aborts it when the deadline ends.
	Transport *Transport
	// Transient lists library errors that retrying may fix (its "too many requests in flight").
	Transient []error
}

// Exporter is a [batching.Sink] over a [Client]. The library reports back through [Exporter.Success] and
// [Exporter.Failure], which must be wired into its Callback.
type Exporter struct {
	opts     Options
	client   Client
	inflight *inflight

	closed    atomic.Bool
	closeOnce sync.Once
	closeDone chan struct{}
	closeErr  error
}

// NewExporter returns an exporter; give it its client with [Exporter.SetClient] before the first Export.
func NewExporter(opts Options) *Exporter {
	opts.Names = opts.Names.WithDefaults()
	return &Exporter{opts: opts, inflight: newInflight(), closeDone: make(chan struct{})}
}

// SetClient sets the library client. It must be called once, before Export.
func (x *Exporter) SetClient(c Client) { x.client = c }

// Success is the library's Callback.Success for the message with the given ID.
func (x *Exporter) Success(id string) { x.inflight.resolve(id, nil) }

// Failure is the library's Callback.Failure for the message with the given ID.
func (x *Exporter) Failure(id string, err error) {
	if err == nil {
		err = errors.New("failure reported without an error")
	}
	x.inflight.resolve(id, err)
}

// Late returns how many answers the library gave after the Export that sent the event had stopped
// waiting. A late success means the service has an event the pipeline counted as failed (and may have
// sent again under the same messageId).
func (x *Exporter) Late() (delivered, failed uint64) {
	return x.inflight.lateOK.Load(), x.inflight.lateFail.Load()
}

// Export enqueues b's events and waits for the library's answer for each until ctx ends.
func (x *Exporter) Export(ctx context.Context, b batching.Batch) error {
	if x.closed.Load() {
		return batching.Permanent(fmt.Errorf("%s: export after Close: %w", x.opts.Adapter, batching.ErrClosed))
	}
	n := len(b.Events)
	if n == 0 {
		return nil
	}
	ids := func(i int) string { return b.Events[i].ID }
	w := newWait(n)
	x.inflight.register(w, ids, n, errDuplicate)
	for i := range b.Events {
		if ctx.Err() != nil {
			break // the rest fail below, as not delivered
		}
		e := &b.Events[i]
		msg, err := Build(e, x.opts.Names)
		if err == nil {
			err = x.client.Enqueue(msg)
		}
		if err != nil {
			x.inflight.settleLocal(e.ID, w, batching.Permanent(err))
		}
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		x.inflight.release(w, ids, fmt.Errorf("%w: %w", errNoAnswer, context.Cause(ctx)))
	}
	return x.result(n, x.inflight.outcome(w))
}

// result turns per-event failures into what the pipeline expects: nil, one error for a batch that failed
// as a whole and the same way, or a *batching.PartialError.
func (x *Exporter) result(n int, failed map[int]error) error {
	if len(failed) == 0 {
		return nil
	}
	var first error
	permanent := 0
	for i := 0; i < n; i++ {
		err, ok := failed[i]
		if !ok {
			continue
		}
		err = x.classify(err)
		failed[i] = err
		if first == nil {
			first = err
		}
		if batching.IsPermanent(err) {
			permanent++
		}
	}
	if len(failed) == n && (permanent == 0 || permanent == n) {
		return fmt.Errorf("%s: all %d events failed: %w", x.opts.Adapter, n, first)
	}
	return &batching.PartialError{Failed: failed}
}

// classify marks err the way the pipeline retries it: 408, 429, 5xx, network errors and an overloaded
// library are transient (with the server's Retry-After); everything else the library reports (another
// 4xx, a message too big, an unencodable property) is permanent.
func (x *Exporter) classify(err error) error {
	if batching.IsPermanent(err) {
		return err
	}
	if errors.Is(err, errNoAnswer) || errors.Is(err, errDuplicate) {
		return err
	}
	var status *StatusError
	if errors.As(err, &status) {
		if !status.Transient() {
			return batching.Permanent(err)
		}
		if status.RetryAfter > 0 {
			return batching.RetryAfter(err, status.RetryAfter)
		}
		return err
	}
	var network *NetworkError
	if errors.As(err, &network) {
		return err
	}
	for _, t := range x.opts.Transient {
		if errors.Is(err, t) {
			return err
		}
	}
	return batching.Permanent(err)
}

// Close closes the library, which sends what it still holds, and returns when it is done or when ctx
// ends; then requests still in flight are aborted so that the library's goroutines end soon after.
// Close is idempotent; Export after Close is a permanent error.
func (x *Exporter) Close(ctx context.Context) error {
	x.closeOnce.Do(func() {
		x.closed.Store(true)
		go func() {
			x.closeErr = x.client.Close()
			close(x.closeDone)
		}()
	})
	select {
	case <-x.closeDone:
		if x.closeErr != nil {
			return fmt.Errorf("%s: closing the client: %w", x.opts.Adapter, x.closeErr)
		}
		return nil
	case <-ctx.Done():
		if x.opts.Transport != nil {
			x.opts.Transport.Abort()
		}
		return fmt.Errorf("%s: close: the client did not finish before the deadline: %w", x.opts.Adapter,
			context.Cause(ctx))
	}
}

// Callback is a library Callback (Success(M), Failure(M, error)) for the library's message type M. It
// routes the library's answers to the exporter by messageId.
type Callback[M any] struct {
	Exporter *Exporter
	// ID extracts the messageId from a library message.
	ID func(M) string
}

// Success is called by the library when the message was accepted by the service.
func (c Callback[M]) Success(m M) { c.Exporter.Success(c.ID(m)) }

// Failure is called by the library when the message could not be delivered.
func (c Callback[M]) Failure(m M, err error) { c.Exporter.Failure(c.ID(m), err) }
