package batching

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrClosed is returned by Flush after Close has begun.
var ErrClosed = errors.New("batching: processor closed")

// UndeliveredError reports events that Flush or Close could not see settled before its context ended.
// It wraps the context's error, so errors.Is(err, context.DeadlineExceeded) works.
type UndeliveredError struct {
	// Op is "flush" or "close".
	Op string
	// Name is the processor's name.
	Name string
	// Count is the exact number of events still pending (Flush) or dropped as shutdown (Close).
	Count uint64
	Err   error
}

func (e *UndeliveredError) Error() string {
	if e.Op == "close" {
		return fmt.Sprintf("batching: close %s: %d event(s) not delivered before the deadline: %v", e.Name, e.Count, e.Err)
	}
	return fmt.Sprintf("batching: flush %s: %d event(s) still pending: %v", e.Name, e.Count, e.Err)
}

func (e *UndeliveredError) Unwrap() error { return e.Err }

// Flush sends everything accepted before the call and returns when all of it was delivered or counted as
// dropped, then flushes the sink if it is a [Flusher]. If ctx ends first it returns an [*UndeliveredError]
// with the number of events still pending; nothing is lost by that, delivery continues. Flush may be called
// any number of times, concurrently; after Close it returns [ErrClosed].
func (p *Processor) Flush(ctx context.Context) error {
	if p.closed.Load() {
		return ErrClosed
	}
	reply := make(chan uint64, 1)
	select {
	case p.flushes <- reply:
	case <-p.batcherDone:
		return ErrClosed
	case <-ctx.Done():
		return p.undelivered("flush", p.Stats().Pending, ctx.Err())
	}
	var mark uint64
	select {
	case mark = <-reply:
	case <-ctx.Done():
		return p.undelivered("flush", p.Stats().Pending, ctx.Err())
	}
	if err := p.waitBatches(ctx, mark); err != nil {
		return p.undelivered("flush", p.Stats().Pending, err)
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
// the sink hangs (plus at most a few milliseconds if the sink ignores its context); without a deadline it uses the one set
// by [WithCloseTimeout]. When events were given up, it returns an [*UndeliveredError] with their exact
// count. Close is idempotent: later calls wait for the first and return its result.
func (p *Processor) Close(ctx context.Context) error {
	if !p.closeStarted.CompareAndSwap(false, true) {
		select {
		case <-p.closeDone:
			return p.closeErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.closeErr = p.shutdown(ctx)
	close(p.closeDone)
	return p.closeErr
}

// Close keeps a slice of its deadline (a tenth, at most closeReserve) for giving up and closing the sink, so
// that it returns by the deadline; a sink still busy then gets at least closeGrace more.
const (
	closeReserve = 30 * time.Millisecond
	closeGrace   = 5 * time.Millisecond
)

func (p *Processor) shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.closeTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	waitCtx, cancelWait := context.WithDeadline(ctx, deadline.Add(-min(time.Until(deadline)/10, closeReserve)))
	defer cancelWait()

	before := p.ctr.dropped[idxShutdown].Load()
	p.closed.Store(true)
	close(p.closing)
	close(p.stop)

	var waitErr error
	select {
	case <-p.batcherDone:
		waitErr = p.waitBatches(waitCtx, ^uint64(0))
	case <-waitCtx.Done():
		waitErr = waitCtx.Err()
	}
	if waitErr != nil {
		waitErr = ctx.Err()
		if waitErr == nil { // only the reserve started: report the caller's deadline, which is what it hit
			waitErr = context.DeadlineExceeded
		}
		p.giveUp()
	}

	sinkCtx, cancelSink := context.WithDeadline(context.WithoutCancel(ctx), later(deadline, time.Now().Add(closeGrace)))
	defer cancelSink()
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// Cancelled rather than timed out: the caller wants out now; give the sink only the grace.
		var cancel context.CancelFunc
		sinkCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), closeGrace)
		defer cancel()
	}
	// Exporters stuck in a sink that ignores its context are not waited for past the deadline.
	select {
	case <-p.exportersDone:
	case <-sinkCtx.Done():
	}
	var errs []error
	if f, ok := p.sink.(Flusher); ok && waitErr == nil {
		if err := within(sinkCtx, f.Flush); err != nil {
			errs = append(errs, fmt.Errorf("batching: close %s: sink flush: %w", p.cfg.name, err))
		}
	}
	if err := within(sinkCtx, p.sink.Close); err != nil {
		errs = append(errs, fmt.Errorf("batching: close %s: sink close: %w", p.cfg.name, err))
	}
	p.logs.flush()
	if lost := p.ctr.dropped[idxShutdown].Load() - before; lost > 0 || waitErr != nil {
		errs = append([]error{p.undelivered("close", lost, waitErr)}, errs...)
	}
	return errors.Join(errs...)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// giveUp ends delivery at Close's deadline: it cancels exports and retry waits, then counts everything
// still held (queue, waiting batches, batches in flight) as dropped with reason shutdown.
func (p *Processor) giveUp() {
	p.aborted.Store(true)
	p.abort()
	p.mu.Lock()
	p.work.Broadcast()
	p.mu.Unlock()
	<-p.batcherDone // the batcher never waits on the sink, so this is quick
	errDeadline := errors.New("batching: close deadline ended before delivery")
	// The batcher is gone, so this goroutine is now the queue's only consumer.
	for it := p.queue.front(); it != nil; it = p.queue.front() {
		p.ctr.mem.Add(-it.size)
		it.clear()
		p.queue.pop()
		p.dequeued.Add(1)
		p.ctr.dropped[idxShutdown].Add(1)
	}
	p.queue.publishHead()
	p.signalRoom()
	// Mark the held batches swept while p.mu keeps them in outstanding: an exporter that settles one of them
	// after this sees swept and does not recycle (reset) it under us; one that settled first removed it
	// from outstanding, so it is not held here.
	p.mu.Lock()
	held := make([]*batch, 0, len(p.outstanding))
	for _, b := range p.outstanding {
		b.mu.Lock()
		b.swept = true
		b.mu.Unlock()
		held = append(held, b)
	}
	p.ready = nil
	p.mu.Unlock()
	for _, b := range held {
		b.mu.Lock()
		rest := b.remaining
		b.mu.Unlock()
		p.settle(b, rest, idxShutdown, errDeadline)
	}
}

func (p *Processor) undelivered(op string, n uint64, err error) error {
	return &UndeliveredError{Op: op, Name: p.cfg.name, Count: n, Err: err}
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
