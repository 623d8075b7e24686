package batching

import (
	"sync/atomic"

	"github.com/eppokit/eppokit/core"
)

// queue is the intake: a bounded lock-free ring (see ring.go) whose slots are allocated once, plus the
// counters that let Close see every accepted event.
//
// Measured, not assumed: a mutex and a slice was tried in its place (see the package documentation). It
// cost the same from one goroutine, but with two goroutines logging at once the ring was about 1.5 times
// faster, so the ring stays.
//
// Close and the ring: a sender counts itself in accepted before it checks closed, and ends counted in
// dequeued (the batcher took its event) or refused. Close sets closed, then the batcher drains until
// accepted = dequeued + refused, so a sender caught between claiming a slot and filling it is waited for,
// never stranded.
type queue struct {
	r ring[item]

	// Written by every sender.
	accepted atomic.Uint64 // events offered after dedupe, including those refused at intake
	refused  atomic.Uint64 // refused at intake (queue full, closed, memory limit)
	bytes    atomic.Int64  // estimated bytes the queued events point to (strings, maps)
	_        [cacheLine - 24]byte

	dequeued atomic.Uint64 // taken from the ring by the batcher
	storage  atomic.Int64  // bytes of the ring's slots; zero once the batcher released them at Close
	closed   atomic.Bool
	sleeping atomic.Bool   // the batcher is parked: the sender that sees it first wakes it
	closing  chan struct{} // closed when Close begins: releases blocking-mode senders
	wakeMask uint64        // a sender whose ring position has these bits set wakes the batcher

	// Blocking mode: senders waiting for room count themselves in waiters and wait on *room, which the
	// batcher closes (and replaces) after it freed slots.
	waiters atomic.Int32
	room    atomic.Pointer[chan struct{}]
}

// item is one queued event; exactly one of a and b is meaningful, as kind says.
type item struct {
	kind Kind
	refs int64 // the intake's estimate of the bytes the event points to
	a    core.AssignmentEvent
	b    core.BanditEvent
}

func (q *queue) init(size int) {
	q.r.init(size)
	q.storage.Store(int64(q.r.Cap()) * itemSize)
	q.closing = make(chan struct{})
	// Every n-th position wakes the batcher, n being the power of two nearest below a quarter of the queue.
	n := uint64(1)
	for n*2 <= uint64(max(size/4, 1)) {
		n *= 2
	}
	q.wakeMask = n - 1
	room := make(chan struct{})
	q.room.Store(&room)
}

// offer queues a copy of the event (exactly one of a and b is set): the whole hot path after dedupe, a few
// atomic operations and one copy into a ring slot. A false result was counted as a drop.
func (p *Processor) offer(a *core.AssignmentEvent, b *core.BanditEvent, refs int64) bool {
	q := &p.q
	q.accepted.Add(1)
	if q.closed.Load() {
		return p.refuse(idxClosed)
	}
	shed := false
	if !p.cfg.blocking {
		if need := q.bytes.Load() + q.storage.Load() + refs + p.mem.Load(); need > p.cfg.memoryLimit {
			// At the cap the oldest waiting batches go first (the batcher drops them); the event is refused
			// only when dropping every waiting batch would not make room for it.
			if need-p.waiting.Load() > p.cfg.memoryLimit {
				return p.refuse(idxMemoryLimit)
			}
			shed = true
		}
	}
	s, pos, ok := q.r.reserve()
	if !ok {
		if !p.cfg.blocking {
			return p.refuse(idxQueueFull)
		}
		if s, pos, ok = p.reserveBlocking(); !ok {
			return p.refuse(idxClosed)
		}
	}
	s.val.refs = refs
	if a != nil {
		s.val.kind, s.val.a = KindAssignment, *a
	} else {
		s.val.kind, s.val.b = KindBandit, *b
	}
	q.bytes.Add(refs)
	q.r.commit(s, pos)
	if shed || pos&q.wakeMask == q.wakeMask {
		p.nudge() // memory to shed, or a quarter of the queue filled since the last such nudge
	} else {
		p.wakeIfSleeping()
	}
	return true
}

// reserveBlocking waits for a free slot (blocking mode) until Close begins.
func (p *Processor) reserveBlocking() (*ringSlot[item], uint64, bool) {
	q := &p.q
	for {
		// Load the channel and announce the wait before the retry: a batcher that frees a slot after the
		// retry saw the ring full also sees waiters > 0 and closes this channel (or a newer one).
		room := *q.room.Load()
		q.waiters.Add(1)
		s, pos, ok := q.r.reserve()
		if !ok {
			p.nudge()
			select {
			case <-room:
			case <-q.closing:
				q.waiters.Add(-1)
				return nil, 0, false
			}
		}
		q.waiters.Add(-1)
		if ok {
			return s, pos, true
		}
	}
}

// signalRoom wakes the blocking-mode senders waiting for a free slot; only the batcher calls it.
func (p *Processor) signalRoom() {
	if p.q.waiters.Load() == 0 {
		return
	}
	next := make(chan struct{})
	close(*p.q.room.Swap(&next))
}

// refuse counts an intake drop. The batcher reports it to hooks and logs: a logging goroutine never runs
// them.
func (p *Processor) refuse(r reasonIndex) bool {
	p.ctr.dropped[r].Add(1)
	p.ctr.intake[r].Add(1)
	p.q.refused.Add(1)
	p.wakeIfSleeping()
	return false
}

// wakeIfSleeping wakes a parked batcher. The batcher sets sleeping before its last look at the ring and a
// sender reads it after publishing, so one of the two always sees the other; while the batcher is awake
// this costs a sender one atomic load.
func (p *Processor) wakeIfSleeping() {
	if p.q.sleeping.Load() && p.q.sleeping.CompareAndSwap(true, false) {
		p.nudge()
	}
}

// nudge wakes the batcher without waiting.
func (p *Processor) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// settledIntake reports whether every sender that counted itself in accepted has finished: its event is
// in the batcher's hands or was refused.
func (q *queue) settledIntake() bool {
	return q.accepted.Load() == q.dequeued.Load()+q.refused.Load()
}
