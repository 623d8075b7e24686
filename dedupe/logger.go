package dedupe

import (
	"sync/atomic"

	"github.com/eppokit/eppokit/core"
)

// AssignmentAcceptor is implemented by assignment loggers that can say whether they accepted an event (for
// example a batching.Processor whose queue may be full). The dedupe wrappers use it so that a refused event
// leaves its key unmarked. Loggers without it are assumed to accept every event they return from.
type AssignmentAcceptor interface {
	TryLogAssignment(core.AssignmentEvent) bool
}

// BanditAcceptor is the bandit counterpart of [AssignmentAcceptor].
type BanditAcceptor interface {
	TryLogBanditAction(core.BanditEvent) bool
}

// LoggerStats adds the wrapper's own counter to the cache's.
type LoggerStats struct {
	Stats
	// Panics counts downstream logger calls that panicked; they were recovered and their key left unmarked.
	Panics uint64 `json:"panics"`
}

// AssignmentDeduper passes assignment events to another logger once per exposure. Create it with
// [AssignmentLogger].
type AssignmentDeduper struct {
	next   core.AssignmentLogger
	try    AssignmentAcceptor // next, when it reports acceptance
	cache  *Cache
	panics atomic.Uint64
}

// AssignmentLogger wraps next so that it sees each (flag, subject, allocation, variation) exposure once (again
// after a change or after the TTL). A panic in next is recovered and counted, never propagated to the caller.
// next runs on the caller's goroutine, so it must itself be fast; wrap a batching.Processor for real sinks.
func AssignmentLogger(next core.AssignmentLogger, opts Options) *AssignmentDeduper {
	d := &AssignmentDeduper{next: next, cache: New(opts)}
	d.try, _ = next.(AssignmentAcceptor)
	return d
}

// LogAssignment implements core.AssignmentLogger.
func (d *AssignmentDeduper) LogAssignment(e core.AssignmentEvent) { d.TryLogAssignment(e) }

// TryLogAssignment logs e unless it is a duplicate, and reports whether e was passed on and accepted.
// It returns true for a suppressed duplicate too: the exposure is already logged.
func (d *AssignmentDeduper) TryLogAssignment(e core.AssignmentEvent) bool {
	dec := d.cache.AdmitAssignment(&e, func() bool { return d.offer(&e) })
	return dec != Refused
}

func (d *AssignmentDeduper) offer(e *core.AssignmentEvent) (ok bool) {
	defer func() {
		if recover() != nil {
			d.panics.Add(1)
			ok = false
		}
	}()
	if d.try != nil {
		return d.try.TryLogAssignment(*e)
	}
	d.next.LogAssignment(*e)
	return true
}

// SuppressAssignment implements core.AssignmentFilter: true for a known duplicate (counted as a hit).
func (d *AssignmentDeduper) SuppressAssignment(flag, subject, allocation, variation string) bool {
	return d.cache.Suppress(KindAssignment, flag, subject, allocation, variation)
}

// Cache returns the wrapper's cache.
func (d *AssignmentDeduper) Cache() *Cache { return d.cache }

var (
	_ core.AssignmentFilter = (*AssignmentDeduper)(nil)
	_ core.BanditFilter     = (*BanditDeduper)(nil)
)

// Stats returns the cache counters and the number of recovered panics.
func (d *AssignmentDeduper) Stats() LoggerStats {
	return LoggerStats{Stats: d.cache.Stats(), Panics: d.panics.Load()}
}

// BanditDeduper passes bandit events to another logger once per (flag, subject, bandit, action). Create it
// with [BanditLogger].
type BanditDeduper struct {
	next   core.BanditLogger
	try    BanditAcceptor
	cache  *Cache
	panics atomic.Uint64
}

// BanditLogger wraps next like [AssignmentLogger] does for assignments.
func BanditLogger(next core.BanditLogger, opts Options) *BanditDeduper {
	d := &BanditDeduper{next: next, cache: New(opts)}
	d.try, _ = next.(BanditAcceptor)
	return d
}

// LogBanditAction implements core.BanditLogger.
func (d *BanditDeduper) LogBanditAction(e core.BanditEvent) { d.TryLogBanditAction(e) }

// TryLogBanditAction logs e unless it is a duplicate, and reports whether e was passed on and accepted (or
// was a suppressed duplicate).
func (d *BanditDeduper) TryLogBanditAction(e core.BanditEvent) bool {
	dec := d.cache.AdmitBandit(&e, func() bool { return d.offer(&e) })
	return dec != Refused
}

func (d *BanditDeduper) offer(e *core.BanditEvent) (ok bool) {
	defer func() {
		if recover() != nil {
			d.panics.Add(1)
			ok = false
		}
	}()
	if d.try != nil {
		return d.try.TryLogBanditAction(*e)
	}
	d.next.LogBanditAction(*e)
	return true
}

// SuppressBanditAction implements core.BanditFilter: true for a known duplicate (counted as a hit).
func (d *BanditDeduper) SuppressBanditAction(flag, subject, bandit, action string) bool {
	return d.cache.Suppress(KindBandit, flag, subject, bandit, action)
}

// Cache returns the wrapper's cache.
func (d *BanditDeduper) Cache() *Cache { return d.cache }

// Stats returns the cache counters and the number of recovered panics.
func (d *BanditDeduper) Stats() LoggerStats {
	return LoggerStats{Stats: d.cache.Stats(), Panics: d.panics.Load()}
}
