package trackexport

import (
	"sync"
	"sync/atomic"
)

// inflight maps the messageIds handed to the library to the Export waiting for them. The library's
// Callback resolves them from its own goroutines; an Export removes what is left when it stops waiting.
type inflight struct {
	mu    sync.Mutex
	slots map[string]slot

	lateOK   atomic.Uint64
	lateFail atomic.Uint64
}

type slot struct {
	w   *wait
	idx int
}

// wait collects the outcome of one Export's events. Its fields are guarded by inflight.mu.
type wait struct {
	settled []bool
	failed  map[int]error
	left    int
	done    chan struct{}
}

func newInflight() *inflight { return &inflight{slots: make(map[string]slot)} }

// register claims ids for w. An id already waited for by another Export fails at once with dup: two
// waiters cannot share one library callback.
func (f *inflight) register(w *wait, ids func(int) string, n int, dup error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		id := ids(i)
		if _, taken := f.slots[id]; taken {
			w.settle(i, dup)
			continue
		}
		f.slots[id] = slot{w: w, idx: i}
	}
}

// resolve records the library's answer for id; err nil means delivered. An id nobody waits for any more
// is counted as a late answer.
func (f *inflight) resolve(id string, err error) {
	f.mu.Lock()
	s, ok := f.slots[id]
	if ok {
		delete(f.slots, id)
		s.w.settle(s.idx, err)
	}
	f.mu.Unlock()
	if !ok {
		if err == nil {
			f.lateOK.Add(1)
		} else {
			f.lateFail.Add(1)
		}
	}
}

// settleLocal records an outcome known without the library (a message refused before it was enqueued).
func (f *inflight) settleLocal(id string, w *wait, err error) {
	f.mu.Lock()
	if s, ok := f.slots[id]; ok && s.w == w {
		delete(f.slots, id)
		s.w.settle(s.idx, err)
	}
	f.mu.Unlock()
}

// release stops waiting: every event of w still unanswered fails with err.
func (f *inflight) release(w *wait, ids func(int) string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.left == 0 {
		return
	}
	for i := range w.settled {
		if w.settled[i] {
			continue
		}
		if s, ok := f.slots[ids(i)]; ok && s.w == w {
			delete(f.slots, ids(i))
		}
		w.settle(i, err)
	}
}

// outcome returns the failures of w; call it after release.
func (f *inflight) outcome(w *wait) map[int]error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return w.failed
}

func newWait(n int) *wait {
	return &wait{settled: make([]bool, n), left: n, done: make(chan struct{})}
}

func (w *wait) settle(i int, err error) {
	if w.settled[i] {
		return
	}
	w.settled[i] = true
	if err != nil {
		if w.failed == nil {
			w.failed = make(map[int]error)
		}
		w.failed[i] = err
	}
	w.left--
	if w.left == 0 {
		close(w.done)
	}
}
