package batching

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// runExporter takes sealed batches oldest first and delivers each with its own retries.
func (p *Processor) runExporter() {
	defer func() {
		if p.exportersLeft.Add(-1) == 0 {
			close(p.exportersDone)
		}
	}()
	for {
		b := p.nextBatch()
		if b == nil {
			return
		}
		if p.deliver(b) {
			p.recycle(b)
		}
	}
}

// nextBatch waits for a sealed batch; nil means the pipeline is finished or aborted.
func (p *Processor) nextBatch() *batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.ready) == 0 {
		if p.finished || p.aborted.Load() {
			return nil
		}
		p.work.Wait()
	}
	if p.aborted.Load() {
		return nil
	}
	b := p.ready[0]
	p.ready[0] = nil
	p.ready = p.ready[1:]
	b.mu.Lock()
	p.waiting.Add(-b.mem)
	b.popped = true
	p.ctr.inFlight.Add(int64(len(b.remaining)))
	b.mu.Unlock()
	return b
}

// deliver exports b until every event is delivered or dropped, and reports whether it settled b itself
// with every event delivered. One backoff per batch: backoff values are not safe for concurrent use, and
// each batch has its own budget.
func (p *Processor) deliver(b *batch) (clean bool) {
	defer func() {
		b.mu.Lock()
		clean = b.done && !b.lossy
		b.mu.Unlock()
	}()
	bo := backoff.WithMaxRetries(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.cfg.initialRetry),
		backoff.WithMaxInterval(p.cfg.maxRetryWait),
		backoff.WithMaxElapsedTime(p.cfg.maxElapsed),
	), uint64(p.cfg.maxRetries))
	begun := time.Now()
	p.ctr.batches.Add(1)
	for attempt := 1; ; attempt++ {
		b.mu.Lock()
		events, done := b.remaining, b.done
		b.mu.Unlock()
		if done || len(events) == 0 {
			return
		}
		if attempt > 1 {
			p.ctr.retried.Add(uint64(len(events)))
		}
		err := p.exportOnce(b, attempt, events)
		if err == nil {
			p.settle(b, events, -1, nil)
			return
		}
		retry, after := p.classify(b, attempt, events, err)
		if len(retry) == 0 {
			return
		}
		wait := bo.NextBackOff()
		if wait == backoff.Stop {
			p.settle(b, retry, idxRetriesExhausted, fmt.Errorf("batching: batch %s gave up after %d attempts: %w", b.id, attempt, err))
			return
		}
		wait = max(wait, after)
		if time.Since(begun)+wait > p.cfg.maxElapsed {
			p.settle(b, retry, idxRetriesExhausted, fmt.Errorf("batching: batch %s: next attempt would pass the %s retry budget: %w", b.id, p.cfg.maxElapsed, err))
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.abortCtx.Done():
			t.Stop()
			p.settle(b, retry, idxShutdown, fmt.Errorf("batching: batch %s: close deadline ended while waiting to retry: %w", b.id, err))
			return
		}
	}
}

// exportOnce makes one bounded attempt, turning a sink panic into an error.
func (p *Processor) exportOnce(b *batch, attempt int, events []Event) (err error) {
	ctx, cancel := context.WithTimeout(p.abortCtx, p.cfg.exportTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r}
		}
	}()
	return p.sink.Export(ctx, Batch{ID: b.id, Attempt: attempt, Events: events})
}

// panicError carries a recovered sink panic; it is never retried.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("batching: sink panicked: %v", e.value) }

// classify settles what a failed attempt decided and returns the events worth another attempt, with the
// longest wait a peer asked for.
func (p *Processor) classify(b *batch, attempt int, events []Event, err error) (retry []Event, after time.Duration) {
	var pe *PartialError
	var pan *panicError
	switch {
	case errors.As(err, &pan):
		p.report(b, attempt, len(events), err, false)
		p.settle(b, events, idxPanic, err)
		return nil, 0
	case errors.As(err, &pe):
		var delivered, rejected []Event
		for i, ev := range events {
			ferr, failed := pe.Failed[i]
			switch {
			case !failed:
				delivered = append(delivered, ev)
			case IsPermanent(ferr):
				rejected = append(rejected, ev)
			default:
				retry = append(retry, ev)
				after = max(after, retryAfter(ferr))
			}
		}
		p.report(b, attempt, len(retry)+len(rejected), err, len(retry) > 0)
		p.settle(b, delivered, -1, nil)
		p.settle(b, rejected, idxRejected, err)
		return retry, after
	case IsPermanent(err):
		p.report(b, attempt, len(events), err, false)
		p.settle(b, events, idxRejected, err)
		return nil, 0
	case p.abortCtx.Err() != nil:
		p.report(b, attempt, len(events), err, false)
		p.settle(b, events, idxShutdown, err)
		return nil, 0
	default:
		p.report(b, attempt, len(events), err, true)
		return events, retryAfter(err)
	}
}

func retryAfter(err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After
	}
	return 0
}

// report records a failed attempt: last error, the rate-limited log and the error hook. A permanent
// rejection is logged by settle, at ERROR.
func (p *Processor) report(b *batch, attempt, n int, err error, retrying bool) {
	p.ctr.setLastError(-1, err)
	if !IsPermanent(err) {
		p.logs.warn("export", "exposure export failed", 1, "batch", b.id, "attempt", attempt, "events", n,
			"retrying", retrying, "error", err.Error())
	}
	p.hooks.exportError(ExportError{BatchID: b.id, Attempt: attempt, Events: n, Err: err, Retrying: retrying})
}

// settle counts events of b as delivered (reason < 0) or dropped, once: a Close that gave up and a late
// exporter cannot both count them. Dropped events leave the dedupe cache, so the same exposure is logged
// again. When b has nothing left, it leaves the outstanding set and its memory is released.
func (p *Processor) settle(b *batch, events []Event, reason reasonIndex, err error) {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return
	}
	events = intersect(b.remaining, events)
	rest := subtract(b.remaining, events)
	if len(rest) > 0 && len(events) > 0 {
		copied := int64(cap(rest)) * eventSize // a retry copy of the event list, held until b settles
		b.mem += copied
		p.mem.Add(copied)
	}
	b.remaining = rest
	b.lossy = b.lossy || reason >= 0
	last := len(rest) == 0
	b.done = last
	popped, mem := b.popped, b.mem
	b.mu.Unlock()
	if len(events) > 0 {
		if popped {
			p.ctr.inFlight.Add(-int64(len(events)))
		}
		if reason < 0 {
			p.ctr.delivered.Add(uint64(len(events)))
		} else {
			p.ctr.dropped[reason].Add(uint64(len(events)))
			if err != nil {
				p.ctr.setLastError(reason, err)
			}
			for i := range events {
				p.forget(&events[i])
			}
			p.logDrop(reason, len(events), err, "batch", b.id)
			p.hooks.drop(Drop{Reason: reasons[reason], Count: len(events), BatchID: b.id, Events: events, Err: err})
		}
	}
	if last {
		p.mem.Add(-mem)
		p.mu.Lock()
		delete(p.outstanding, b.seq)
		close(p.settled)
		p.settled = make(chan struct{})
		p.mu.Unlock()
	}
}

// logDrop writes the rate-limited line for a drop. Rejections are at ERROR: a wrong key or a payload the
// peer refuses needs a person, and retrying will not help. The first line of each reason goes out at once.
func (p *Processor) logDrop(reason reasonIndex, n int, err error, attrs ...any) {
	attrs = append(attrs, "reason", string(reasons[reason]))
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	if reason == idxRejected {
		p.logs.error(string(reasons[reason]), "exposure events rejected by the sink", n, attrs...)
		return
	}
	p.logs.warn(string(reasons[reason]), "exposure events dropped", n, attrs...)
}

// forget removes a dropped event's exposure from the dedupe cache, if the cache still holds that value for
// it, so that the next identical exposure is logged instead of suppressed.
func (p *Processor) forget(ev *Event) {
	if p.cache == nil {
		return
	}
	if ev.Bandit != nil {
		p.cache.ForgetBandit(ev.Bandit)
	} else if ev.Assignment != nil {
		p.cache.ForgetAssignment(ev.Assignment)
	}
}

// intersect returns the events of sub that are still in all, comparing IDs (unique per event).
func intersect(all, sub []Event) []Event {
	if len(sub) == len(all) && len(all) > 0 && &sub[0] == &all[0] {
		return sub
	}
	keep := make(map[string]struct{}, len(all))
	for i := range all {
		keep[all[i].ID] = struct{}{}
	}
	out := make([]Event, 0, len(sub))
	for _, ev := range sub {
		if _, ok := keep[ev.ID]; ok {
			out = append(out, ev)
		}
	}
	return out
}

// subtract returns all without the events of sub.
func subtract(all, sub []Event) []Event {
	if len(sub) == 0 {
		return all
	}
	if len(sub) == len(all) && &sub[0] == &all[0] {
		return nil
	}
	gone := make(map[string]struct{}, len(sub))
	for i := range sub {
		gone[sub[i].ID] = struct{}{}
	}
	out := make([]Event, 0, len(all)-len(sub))
	for _, ev := range all {
		if _, ok := gone[ev.ID]; !ok {
			out = append(out, ev)
		}
	}
	return out
}
