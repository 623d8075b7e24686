package batching

import "sync/atomic"

// cacheLine is the padding unit that keeps producer-written and consumer-written words apart.
const cacheLine = 64

// ring is a bounded multi-producer, single-consumer queue after Dmitry Vyukov's bounded MPMC design: every
// slot carries a sequence number that says whose turn it is, so producers only contend on one CAS and the
// consumer never touches the producers' cache line. A value is written between [ring.reserve] and
// [ring.commit]; the sequence store publishes it, which is also what the race detector sees.
//
// Position p uses slot p mod size. A slot is free for position p when its sequence is 2p, holds a published
// value for the consumer when it is 2p+1, and is released for position p+size by the consumer. (Doubling
// keeps "published at p" and "free for p+1" apart when size is 1.)
type ring[T any] struct {
	tail atomic.Uint64 // next position a producer claims
	_    [cacheLine - 8]byte

	head atomic.Uint64 // the consumer's position as of its last publishHead, for Len
	next uint64        // the consumer's position (owned by the consumer)
	_    [cacheLine - 16]byte

	slots []ringSlot[T]
	size  uint64
	mask  uint64 // size-1, used instead of % when size is a power of two
	pow2  bool
}

type ringSlot[T any] struct {
	seq atomic.Uint64
	val T
}

// init sizes the ring for n values (at least one).
func (r *ring[T]) init(n int) {
	n = max(n, 1)
	r.slots = make([]ringSlot[T], n)
	r.size = uint64(n)
	r.mask = r.size - 1
	r.pow2 = n&(n-1) == 0
	for i := range r.slots {
		r.slots[i].seq.Store(2 * uint64(i))
	}
}

func (r *ring[T]) slot(pos uint64) *ringSlot[T] {
	if r.pow2 {
		return &r.slots[pos&r.mask]
	}
	return &r.slots[pos%r.size]
}

// reserve claims the next free slot for the calling producer. It returns false, without waiting, when the
// ring is full. The caller fills s.val and must then call commit(s, pos).
func (r *ring[T]) reserve() (s *ringSlot[T], pos uint64, ok bool) {
	pos = r.tail.Load()
	for {
		s = r.slot(pos)
		seq := s.seq.Load()
		switch d := int64(seq - 2*pos); {
		case d == 0:
			if r.tail.CompareAndSwap(pos, pos+1) {
				return s, pos, true
			}
			pos = r.tail.Load()
		case d < 0:
			// The slot still holds the value from one lap ago: full.
			return nil, 0, false
		default:
			// Another producer took pos meanwhile.
			pos = r.tail.Load()
		}
	}
}

// commit publishes the value written into a reserved slot.
func (r *ring[T]) commit(s *ringSlot[T], pos uint64) { s.seq.Store(2*pos + 1) }

// front returns the oldest published value, or nil when there is none (empty, or its producer has reserved
// but not yet committed). Only the consumer may call it; the value stays valid until pop.
func (r *ring[T]) front() *T {
	s := r.slot(r.next)
	if s.seq.Load() != 2*r.next+1 {
		return nil
	}
	return &s.val
}

// pop releases the slot returned by front for reuse one lap later. The consumer must have taken (and
// cleared, if it holds pointers) the value first.
func (r *ring[T]) pop() {
	s := r.slot(r.next)
	s.seq.Store(2 * (r.next + r.size))
	r.next++
}

// publishHead makes the consumer's position visible to Len; the consumer calls it after a run of pops
// rather than after each one.
func (r *ring[T]) publishHead() { r.head.Store(r.next) }

// Len returns how many values are reserved or waiting (approximate while producers and the consumer run).
func (r *ring[T]) Len() int {
	h := r.head.Load()
	t := r.tail.Load()
	if t < h {
		return 0
	}
	return int(t - h)
}

// release lets the slots go once no producer or consumer can reach the ring again (Close).
func (r *ring[T]) release() { r.slots = nil }

// Cap returns the number of slots.
func (r *ring[T]) Cap() int { return int(r.size) }
