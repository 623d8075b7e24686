package batching

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eppokit/eppokit/core"
)

// mutexQueue is the plain design the ring is measured against: a bounded slice under a mutex, which the
// consumer swaps out whole.
type mutexQueue struct {
	mu    sync.Mutex
	items []item
	spare []item
	size  int
}

func (q *mutexQueue) push(it *item) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == q.size {
		return false
	}
	q.items = append(q.items, *it)
	return true
}

// drain takes every queued item and hands back the slice taken last time.
func (q *mutexQueue) drain() []item {
	q.mu.Lock()
	got := q.items
	q.items = q.spare[:0]
	q.mu.Unlock()
	q.spare = got
	return got
}

// BenchmarkIntakeQueue compares the intake queue alone, ring against mutex+slice, with the pipeline's own
// item type: the benchmark's goroutines push events while one consumer drains and clears them. A push that
// finds the queue full yields and tries again, so every op is one event through the queue (retries per op
// are reported), and the time is what moving an event through costs producers and consumer together.
func BenchmarkIntakeQueue(b *testing.B) {
	ev := item{kind: KindAssignment, a: core.AssignmentEvent{FeatureFlag: "flag", Allocation: "alloc",
		Variation: "v", Subject: "subject"}}
	const size = 8192
	run := func(b *testing.B, push func(*item) bool, drain func() int) {
		var retries atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if drain() == 0 {
					// Nothing queued: let the producers run, as the parked batcher does.
					for range 64 {
						select {
						case <-stop:
							return
						default:
						}
					}
				}
			}
		}()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			local := ev
			for pb.Next() {
				for !push(&local) {
					retries.Add(1)
					runtime.Gosched()
				}
			}
		})
		b.StopTimer()
		close(stop)
		<-done
		b.ReportMetric(float64(retries.Load())/float64(b.N), "retries/op")
	}
	b.Run("ring", func(b *testing.B) {
		var r ring[item]
		r.init(size)
		run(b, func(it *item) bool {
			s, pos, ok := r.reserve()
			if !ok {
				return false
			}
			s.val = *it
			r.commit(s, pos)
			return true
		}, func() int {
			n := 0
			for v := r.front(); v != nil; v = r.front() {
				*v = item{}
				r.pop()
				n++
			}
			r.publishHead()
			return n
		})
	})
	b.Run("mutex", func(b *testing.B) {
		q := &mutexQueue{size: size, items: make([]item, 0, size), spare: make([]item, 0, size)}
		run(b, q.push, func() int {
			got := q.drain()
			clear(got)
			return len(got)
		})
	})
}
