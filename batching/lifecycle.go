package batching

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrClosed is returned by Flush after Close has begun.
var ErrClosed = errors.New("batching: processor closed")

// UndeliveredError reports accepted events that were not delivered.
//
// From Close it covers the processor's whole life: every accepted event that was not delivered, by drop
// reason, whether it was refused at intake, rejected by the sink an hour ago or cut off by Close's deadline.
// From Flush it counts the events still pending when ctx ended; nothing is lost by that, delivery continues.
type UndeliveredError struct {
	// Op is "flush" or "close".
	Op string
	// Name is the processor's name.
	Name string
	// Count is the number of events not delivered (Close) or still pending (Flush).
	Count uint64
	// Accepted is the number of events the processor accepted over its life (Close only).
	Accepted uint64
	// Dropped splits Count by reason (Close only).
	Dropped map[DropReason]uint64
	// Err is the context's error when a deadline cut delivery short, nil otherwise; errors.Is(err,
	// context.DeadlineExceeded) works through it.
	Err error

	causes map[DropReason]string // the last error behind each reason, for the message
}

// Error states the total first, then each reason with its last cause, for example
// "batching: close segment: 1,210 of 1,210 events not delivered: 1,210 rejected (HTTP 401: invalid write key)".
func (e *UndeliveredError) Error() string {
	if e.Op != "close" {
		return fmt.Sprintf("batching: %s %s: %s event(s) still pending: %v", e.Op, e.Name, thousands(e.Count), e.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "batching: close %s: %s of %s events not delivered", e.Name, thousands(e.Count), thousands(e.Accepted))
	sep := ": "
	for _, r := range reasons {
		n := e.Dropped[r]
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s%s %s", sep, thousands(n), r)
		if c := e.causes[r]; c != "" {
			fmt.Fprintf(&b, " (%s)", c)
		}
		sep = ", "
	}
	return b.String()
}

// Unwrap returns the context's error, if a deadline cut delivery short.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// thousands renders n with comma separators: 1210 → "1,210".
func thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Flush sends everything accepted before the call and returns when all of it was delivered or counted as
// dropped, then flushes the sink if it is a [Flusher]. If ctx ends first it returns an [*UndeliveredError]
// with the number of events still pending; nothing is lost by that, delivery continues. Flush may be called
// any number of times, concurrently; after Close it returns [ErrClosed].
func (p *Processor) Flush(ctx context.Context) error {
	if p.closeStarted.Load() {
		return ErrClosed
	}
	reply := make(chan uint64, 1)
	select {
	case p.flushes <- reply:
	case <-p.batcherDone:
		return ErrClosed
	case <-ctx.Done():
		return p.pending(ctx.Err())
	}
	var mark uint64
	select {
	case mark = <-reply:
	case <-ctx.Done():
		return p.pending(ctx.Err())
	}
	if err := p.waitBatches(ctx, mark); err != nil {
		return p.pending(err)
	}
	if f, ok := p.sink.(Flusher); ok {
		if err := within(ctx, f.Flush); err != nil {
			return fmt.Errorf("batching: flush %s: sink: %w", p.cfg.name, err)
		}
	}
	return nil
}

// waitBatches waits until no batch with a sequence number up to mark is outstanding.
func (p *Processor) waitBatches(ctx context.Context, mark uint64) error {
	for {
		p.mu.Lock()
		busy := false
		for seq := range p.outstanding {
			if seq <= mark {
				busy = true
				break
			}
		}
		ch := p.settled
		p.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops intake (later events are counted closed), delivers what it can until ctx ends, drops and
// counts the rest as shutdown, then flushes and closes the sink. It returns within ctx's deadline even when
// the sink hangs or a hook is slow (plus at most a few milliseconds if the sink ignores its context);
// without a deadline it uses the one set by [WithCloseTimeout].
//
// Close returns nil only when every event the processor ever accepted was delivered. Otherwise it returns
// an [*UndeliveredError] with the counts by reason over the processor's whole life (joined with any error
// from the sink's Flush or Close).
//
// Close is idempotent: every call, later or concurrent, returns the first call's result. A concurrent call
// whose ctx ends first makes the shutdown give up at once, so each caller still returns about when its own
// ctx ends.
func (p *Processor) Close(ctx context.Context) error {
	if p.closeStarted.CompareAndSwap(false, true) {
		p.closeErr = p.shutdown(ctx)
		close(p.closeDone)
		return p.closeErr
	}
	select {
	case <-p.closeDone:
		return p.closeErr
	default:
	}
	select {
	case <-p.closeDone:
	case <-ctx.Done():
		p.hurryUp(ctx.Err()) // only the first cause counts
		<-p.closeDone
	}
	return p.closeErr
}

// Close keeps a slice of its deadline (a tenth, at most closeReserve) for giving up and closing the sink, so
// that it returns by the deadline; a sink still busy then gets at least closeGrace more.
const (
	closeReserve = 30 * time.Millisecond
	closeGrace   = 5 * time.Millisecond
)

var errCloseDeadline = errors.New("close deadline ended before delivery")

func (p *Processor) shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.closeTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	waitCtx, cancelWait := context.WithDeadline(ctx, deadline.Add(-min(time.Until(deadline)/10, closeReserve)))
	defer cancelWait()
	defer context.AfterFunc(p.hurry, cancelWait)()

	// From here senders refuse; the batcher's last drain waits for those already past the check.
	p.q.closed.Store(true)
	close(p.q.closing)
	close(p.stop)

	var waitErr error
	select {
	case <-p.batcherDone:
		waitErr = p.waitBatches(waitCtx, ^uint64(0))
	case <-waitCtx.Done():
		waitErr = waitCtx.Err()
	}
	hurried := false
	if waitErr != nil {
		select {
		case <-p.hurry.Done():
			hurried, waitErr = true, context.Cause(p.hurry)
		default:
			waitErr = ctx.Err()
			if waitErr == nil { // only the reserve started: report the caller's deadline, which is what it hit
				waitErr = context.DeadlineExceeded
			}
		}
		p.giveUp()
	}

	sinkCtx, cancelSink := context.WithDeadline(context.WithoutCancel(ctx), later(deadline, time.Now().Add(closeGrace)))
	defer cancelSink()
	if hurried || (ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		// Cancelled rather than timed out: the caller wants out now; give the sink only the grace.
		var cancel context.CancelFunc
		sinkCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), closeGrace)
		defer cancel()
	}
	// A Close caller whose context ends now still gets the result within the grace.
	defer context.AfterFunc(p.hurry, func() { time.AfterFunc(closeGrace, cancelSink) })()
	// Exporters stuck in a sink that ignores its context are not waited for past the deadline.
	select {
	case <-p.exportersDone:
	case <-sinkCtx.Done():
	}
	p.dropSpares() // recycle adds nothing once Close started
	var errs []error
	if f, ok := p.sink.(Flusher); ok && waitErr == nil {
		if err := within(sinkCtx, f.Flush); err != nil {
			errs = append(errs, fmt.Errorf("batching: close %s: sink flush: %w", p.cfg.name, err))
		}
	}
	if err := within(sinkCtx, p.sink.Close); err != nil {
		errs = append(errs, fmt.Errorf("batching: close %s: sink close: %w", p.cfg.name, err))
	}
	// Hooks still running at the deadline finish on their own goroutine, and so do queued notices.
	_ = p.hooks.wait(sinkCtx)
	p.logs.flush()
	if ue := p.tally(waitErr); ue != nil {
		errs = append([]error{ue}, errs...)
	}
	return errors.Join(errs...)
}

// tally returns the UndeliveredError Close reports, or nil when every accepted event was delivered. Every
// event accepted before Close is settled by now; senders still arriving only add closed drops, each counted
// in accepted just before its drop, so the total is taken from the drops themselves.
func (p *Processor) tally(ctxErr error) *UndeliveredError {
	delivered := p.ctr.delivered.Load()
	var lost uint64
	dropped := make(map[DropReason]uint64)
	for i, r := range reasons {
		if n := p.ctr.dropped[i].Load(); n > 0 {
			dropped[r] = n
			lost += n
		}
	}
	if lost == 0 {
		return nil
	}
	accepted := delivered + lost
	causes := make(map[DropReason]string)
	p.ctr.errMu.Lock()
	for i, r := range reasons {
		if c := p.ctr.causes[i]; c != "" && dropped[r] > 0 {
			causes[r] = c
		}
	}
	p.ctr.errMu.Unlock()
	if ctxErr != nil && dropped[ReasonShutdown] > 0 {
		causes[ReasonShutdown] = errCloseDeadline.Error()
	}
	return &UndeliveredError{Op: "close", Name: p.cfg.name, Count: accepted - delivered, Accepted: accepted,
		Dropped: dropped, Err: ctxErr, causes: causes}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// giveUp ends delivery at Close's deadline: it cancels exports and retry waits, then counts everything
// still held (waiting batches, batches in flight) as dropped with reason shutdown. The queue is already
// empty: the batcher took all of it after intake closed.
func (p *Processor) giveUp() {
	p.aborted.Store(true)
	p.abort()
	p.mu.Lock()
	p.work.Broadcast()
	p.mu.Unlock()
	<-p.batcherDone // the batcher runs no hooks and never waits on the sink, so this is quick
	p.mu.Lock()
	held := make([]*batch, 0, len(p.outstanding))
	for _, b := range p.outstanding {
		held = append(held, b)
	}
	p.ready = nil
	p.waiting.Store(0)
	p.mu.Unlock()
	for _, b := range held {
		b.mu.Lock()
		rest := b.remaining
		b.mu.Unlock()
		p.settle(b, rest, idxShutdown, errCloseDeadline)
	}
}

// pending is Flush's error when ctx ended first.
func (p *Processor) pending(err error) error {
	return &UndeliveredError{Op: "flush", Name: p.cfg.name, Count: p.Stats().Pending, Err: err}
}

// within calls f and returns when it does or when ctx ends, whichever is first, so that a sink that ignores
// its context cannot hold Flush or Close past the deadline. A call that overruns is left to finish alone.
func within(ctx context.Context, f func(context.Context) error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- f(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
