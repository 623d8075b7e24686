package batching

import (
	"context"
	"fmt"
	"sync"
)

// Hooks run on a goroutine of their own, one call at a time, in the order the pipeline produced them: the
// batcher, the exporters and Close only hand a notice over, so a slow hook can neither stall delivery nor
// hold Close past its deadline.
const (
	// maxNotices bounds the notices waiting for slow hooks. Beyond it, drops are summed per reason into one
	// Drop without Events, and export errors are counted and logged instead of passed to the hook.
	maxNotices = 1024
	// maxNoticesWithEvents bounds the waiting drops that carry their Events (each keeps its batch's storage
	// reachable); later ones wait with Count only.
	maxNoticesWithEvents = 8
)

type notice struct {
	drop   Drop
	export *ExportError
}

// notifier queues hook calls for its goroutine, which starts with the first notice.
type notifier struct {
	onDrop  DropHook
	onError ErrorHook
	ctr     *counters
	logs    *rateLog

	mu         sync.Mutex
	queue      []notice
	withEvents int
	summed     [numReasons]int // drops summed while the queue was full
	skipped    int             // export errors not passed to the hook while the queue was full
	running    bool            // the goroutine exists: notices are queued or a hook is running
	idle       chan struct{}   // closed (and replaced) whenever the goroutine runs out of notices
}

func (n *notifier) init(onDrop DropHook, onError ErrorHook, ctr *counters, logs *rateLog) {
	n.onDrop, n.onError, n.ctr, n.logs = onDrop, onError, ctr, logs
	n.idle = make(chan struct{})
}

func (n *notifier) drop(d Drop) {
	if n.onDrop == nil || d.Count == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) >= maxNotices {
		n.summed[reasonOf(d.Reason)] += d.Count
		return
	}
	if d.Events != nil {
		if n.withEvents >= maxNoticesWithEvents {
			d.Events = nil
		} else {
			n.withEvents++
		}
	}
	n.push(notice{drop: d})
}

func (n *notifier) exportError(e ExportError) {
	if n.onError == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) >= maxNotices {
		n.skipped++
		return
	}
	n.push(notice{export: &e})
}

// push queues x and starts the goroutine if it is not running; n.mu is held.
func (n *notifier) push(x notice) {
	n.queue = append(n.queue, x)
	if !n.running {
		n.running = true
		go n.run()
	}
}

// run calls the hooks until no notice is left, then exits; the next notice starts it again. An idle
// processor therefore has no hook goroutine at all.
func (n *notifier) run() {
	for {
		n.mu.Lock()
		x, ok := n.next()
		if !ok {
			n.running = false
			close(n.idle)
			n.idle = make(chan struct{})
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		n.call(x)
	}
}

// next pops the oldest notice, or the summaries once the queue is empty; n.mu is held.
func (n *notifier) next() (notice, bool) {
	if len(n.queue) > 0 {
		x := n.queue[0]
		n.queue[0] = notice{}
		n.queue = n.queue[1:]
		if x.drop.Events != nil {
			n.withEvents--
		}
		return x, true
	}
	n.queue = nil // let a burst's backing array go
	for i, c := range n.summed {
		if c > 0 {
			n.summed[i] = 0
			return notice{drop: Drop{Reason: reasons[i], Count: c}}, true
		}
	}
	if n.skipped > 0 {
		n.logs.warn("hook_behind", "error hook fell behind; export errors not passed to it", n.skipped)
		n.skipped = 0
	}
	return notice{}, false
}

func (n *notifier) call(x notice) {
	defer func() {
		if r := recover(); r != nil {
			n.ctr.hookPanics.Add(1)
			n.logs.warn("hook_panic", "drop or error hook panicked", 1, "panic", fmt.Sprint(r))
		}
	}()
	if x.export != nil {
		n.onError(*x.export)
	} else {
		n.onDrop(x.drop)
	}
}

// wait returns when every notice queued so far was passed to its hook and the hook returned, or when ctx
// ends. Hooks still running then finish on their own goroutine; notices still queued are delivered after.
func (n *notifier) wait(ctx context.Context) error {
	for {
		n.mu.Lock()
		if !n.running {
			n.mu.Unlock()
			return nil
		}
		idle := n.idle
		n.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func reasonOf(r DropReason) reasonIndex {
	for i, x := range reasons {
		if x == r {
			return reasonIndex(i)
		}
	}
	return idxPanic
}
