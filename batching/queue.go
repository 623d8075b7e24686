package batching

import (
	"sync"
	"unsafe"

	"github.com/eppokit/eppokit/core"
)

// queue is the intake: a mutex and two slices, one per event kind so that a queued event costs its own
// size only. The batcher takes the slices whole and hands back the ones it emptied, so a logging call costs
// an uncontended lock and one copy of the event.
//
// Simple unless measured: this replaced a lock-free ring (Vyukov's bounded MPMC) after measuring both on a
// 2-core machine (see the package documentation); the ring did not win by more than noise, and a sender
// between claiming a ring slot and filling it could be stranded by Close. Here the closed flag and the
// slices share the lock, so Close sees every accepted event.
type queue struct {
	mu       sync.Mutex
	assigns  lane[core.AssignmentEvent]
	bandits  lane[core.BanditEvent]
	closed   bool
	accepted uint64        // events offered after dedupe, counted when queued or refused (never while waiting)
	bytes    int64         // estimated bytes the queued events point to (strings, maps)
	storage  int64         // bytes of the lanes' buffers (queued and being drained), by capacity
	room     chan struct{} // blocking mode: closed when the batcher took events; nil when nobody waits
	_        [64]byte
}

// lane holds the queued events of one kind.
type lane[E any] struct {
	items []queued[E]
	small int // consecutive drains that carried under a quarter of the buffer's capacity
}

type queued[E any] struct {
	refs int64 // the intake's estimate of the bytes the event points to
	e    E
}

func (q *queue) depth() int { return len(q.assigns.items) + len(q.bandits.items) }

// offer queues a copy of e: the whole hot path after dedupe. A false result was counted as a drop.
func offer[E any](p *Processor, l *lane[E], e *E, refs int64) bool {
	q := &p.q
	q.mu.Lock()
	if q.closed {
		return p.refuseLocked(idxClosed)
	}
	if q.depth() >= p.cfg.queueSize {
		if !p.cfg.blocking {
			return p.refuseLocked(idxQueueFull)
		}
		if !p.waitForRoom() {
			return p.refuseLocked(idxClosed)
		}
	}
	n := len(l.items)
	var grow int64
	if n == cap(l.items) {
		grow = int64(growCap(n, p.cfg.queueSize)-n) * int64(unsafe.Sizeof(queued[E]{}))
	}
	shed := false
	if !p.cfg.blocking {
		if need := q.bytes + q.storage + grow + refs + p.mem.Load(); need > p.cfg.memoryLimit {
			// At the cap the oldest waiting batches go first (the batcher drops them); the event is refused
			// only when dropping every waiting batch would not make room for it.
			if need-p.waiting.Load() > p.cfg.memoryLimit {
				return p.refuseLocked(idxMemoryLimit)
			}
			shed = true
		}
	}
	if grow > 0 {
		items := make([]queued[E], n, growCap(n, p.cfg.queueSize))
		copy(items, l.items)
		l.items = items
		q.storage += grow
	}
	l.items = l.items[:n+1]
	it := &l.items[n]
	it.refs, it.e = refs, *e
	q.bytes += refs
	q.accepted++
	depth := q.depth()
	q.mu.Unlock()
	// Wake the batcher when the queue stops being empty (it drains everything it finds), when a batch's
	// worth is waiting, or when memory must be shed; never otherwise.
	if depth == 1 || depth == p.cfg.batchSize || shed {
		p.nudge()
	}
	return true
}

// growCap is the next capacity of a lane's buffer: doubling, from 16, up to the queue size.
func growCap(n, limit int) int { return min(max(2*n, 16), limit) }

// shrinkAfter is how many consecutive small drains release a buffer a burst enlarged.
const shrinkAfter = 256

// swap gives the lane the buffer the batcher emptied (its length still says how many events it carried)
// and returns the queued events. q.mu is held.
func swap[E any](q *queue, l *lane[E], done []queued[E]) []queued[E] {
	if cap(done) > 64 && len(done) < cap(done)/4 {
		l.small++
	} else {
		l.small = 0
	}
	if l.small > shrinkAfter {
		// A burst left this buffer far larger than what drains have carried since: let it go rather than
		// pin it; the lane grows again if traffic does.
		q.storage -= int64(cap(done)) * int64(unsafe.Sizeof(queued[E]{}))
		done, l.small = nil, 0
	}
	items := l.items
	l.items = done[:0]
	return items
}

// drop releases a buffer the batcher holds (under memory pressure or at the end).
func drop[E any](q *queue, buf []queued[E]) {
	q.mu.Lock()
	q.storage -= int64(cap(buf)) * int64(unsafe.Sizeof(queued[E]{}))
	q.mu.Unlock()
}
