package batching

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func push(r *ring[int], v int) bool {
	s, pos, ok := r.reserve()
	if !ok {
		return false
	}
	s.val = v
	r.commit(s, pos)
	return true
}

func popValue(r *ring[int]) (int, bool) {
	v := r.front()
	if v == nil {
		return 0, false
	}
	out := *v
	r.pop()
	return out, true
}

func TestRingFullThenWrapsAround(t *testing.T) {
	for _, size := range []int{1, 3, 4, 5, 8} { // powers of two use a mask, the others %
		var r ring[int]
		r.init(size)
		next, want := 0, 0
		for lap := range 5 {
			for range size {
				if !push(&r, next) {
					t.Fatalf("size %d lap %d: push %d refused before the ring was full", size, lap, next)
				}
				next++
			}
			if push(&r, -1) {
				t.Fatalf("size %d lap %d: push accepted into a full ring", size, lap)
			}
			if got := r.Len(); got != size {
				t.Fatalf("size %d: Len %d on a full ring", size, got)
			}
			// Free part of the ring and refill it, so positions do not stay aligned with laps.
			for range (size + 1) / 2 {
				v, ok := popValue(&r)
				if !ok || v != want {
					t.Fatalf("size %d: popped %d,%v want %d", size, v, ok, want)
				}
				want++
			}
			r.publishHead()
			for range (size + 1) / 2 {
				if !push(&r, next) {
					t.Fatalf("size %d: push refused after pops", size)
				}
				next++
			}
			for range size {
				v, ok := popValue(&r)
				if !ok || v != want {
					t.Fatalf("size %d: popped %d,%v want %d (FIFO)", size, v, ok, want)
				}
				want++
			}
			if _, ok := popValue(&r); ok {
				t.Fatalf("size %d: pop from an empty ring", size)
			}
			r.publishHead()
			if got := r.Len(); got != 0 {
				t.Fatalf("size %d: Len %d on an empty ring", size, got)
			}
		}
	}
}

func TestRingReservedButUncommittedBlocksConsumer(t *testing.T) {
	var r ring[int]
	r.init(4)
	s, pos, ok := r.reserve()
	if !ok {
		t.Fatal("reserve on an empty ring failed")
	}
	push(&r, 2)
	if r.front() != nil {
		t.Fatal("consumer saw a slot whose producer has not committed")
	}
	s.val = 1
	r.commit(s, pos)
	for _, want := range []int{1, 2} {
		if v, ok := popValue(&r); !ok || v != want {
			t.Fatalf("popped %d,%v want %d", v, ok, want)
		}
	}
}

// TestRingConcurrentProducers has several producers push distinct values through a small ring (so it fills
// and wraps many times) while one consumer takes them; every value must arrive exactly once and each
// producer's values in order.
func TestRingConcurrentProducers(t *testing.T) {
	const producers, each = 4, 20000
	var r ring[int]
	r.init(64)
	var wg sync.WaitGroup
	var fulls atomic.Int64
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				for !push(&r, p*each+i) {
					fulls.Add(1)
					time.Sleep(time.Microsecond)
				}
			}
		})
	}
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	deadline := time.Now().Add(20 * time.Second)
	for got := 0; got < producers*each; {
		v, ok := popValue(&r)
		if !ok {
			if time.Now().After(deadline) {
				t.Fatalf("received %d of %d values", got, producers*each)
			}
			continue
		}
		p, i := v/each, v%each
		if i != last[p]+1 {
			t.Fatalf("producer %d: got value %d after %d", p, i, last[p])
		}
		last[p] = i
		got++
	}
	wg.Wait()
	if _, ok := popValue(&r); ok {
		t.Fatal("extra value after all were received")
	}
	t.Logf("producers found the ring full %d times", fulls.Load())
}
