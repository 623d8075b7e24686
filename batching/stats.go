package batching

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

// DropReason says why events were not delivered. Its string value is what [Stats.Dropped] and logs show.
type DropReason string

// Drop reasons.
const (
	// ReasonQueueFull: the queue was full when the event was logged (non-blocking mode).
	ReasonQueueFull DropReason = "queue_full"
	// ReasonClosed: the event was logged after Close began.
	ReasonClosed DropReason = "closed"
	// ReasonOversize: the encoded event is larger than the sink accepts ([SizeLimiter]).
	ReasonOversize DropReason = "oversize"
	// ReasonEncode: the sink's [Encoder] failed on the event.
	ReasonEncode DropReason = "encode"
	// ReasonRejected: the sink reported a permanent failure for the event.
	ReasonRejected DropReason = "rejected"
	// ReasonRetriesExhausted: transient failures outlasted the retry count or the retry budget.
	ReasonRetriesExhausted DropReason = "retries_exhausted"
	// ReasonMemoryLimit: dropped to stay under the memory cap (oldest waiting batch, or at intake).
	ReasonMemoryLimit DropReason = "memory_limit"
	// ReasonShutdown: still undelivered when Close's deadline ended.
	ReasonShutdown DropReason = "shutdown"
	// ReasonPanic: the sink (Export or Encode) panicked on the event's batch.
	ReasonPanic DropReason = "panic"
)

// reasons lists every reason in a fixed order; counters are indexed by position.
var reasons = [...]DropReason{
	ReasonQueueFull, ReasonClosed, ReasonOversize, ReasonEncode, ReasonRejected,
	ReasonRetriesExhausted, ReasonMemoryLimit, ReasonShutdown, ReasonPanic,
}

type reasonIndex int

const (
	idxQueueFull reasonIndex = iota
	idxClosed
	idxOversize
	idxEncode
	idxRejected
	idxRetriesExhausted
	idxMemoryLimit
	idxShutdown
	idxPanic
	numReasons
)

// Stats is a snapshot of one processor's counters. Counters never reset.
//
// Accounting identity, true at every call and exact once Close returned:
//
//	Accepted = Delivered + sum(Dropped) + Pending
//
// Accepted counts every event the processor took responsibility for after dedupe, including those it then
// had to drop at intake. Pending is the part not yet settled (queued, being batched, waiting or in flight).
type Stats struct {
	Name         string `json:"name"`
	Accepted     uint64 `json:"accepted"`
	Deduplicated uint64 `json:"deduplicated"`
	Delivered    uint64 `json:"delivered"`
	// Retried counts events sent again after a failed attempt (one per event per retry).
	Retried uint64                `json:"retried"`
	Dropped map[DropReason]uint64 `json:"dropped"`
	Pending uint64                `json:"pending"`
	// QueueDepth is the number of events in the intake queue.
	QueueDepth int `json:"queue_depth"`
	// QueueCapacity is how many events the intake queue holds ([WithQueueSize]).
	QueueCapacity int `json:"queue_capacity"`
	// InFlight is the number of events in batches being exported (including their retry waits).
	InFlight int `json:"in_flight"`
	// Batches counts batches handed to the sink for a first attempt.
	Batches uint64 `json:"batches"`
	// MemoryBytes is the memory the processor holds, as [WithMemoryLimit] counts it: queue and batcher
	// buffers, waiting and in-flight batches with their retry copies, and what their events point to.
	MemoryBytes int64 `json:"memory_bytes"`
	// HookPanics counts recovered panics in drop and error hooks.
	HookPanics    uint64        `json:"hook_panics"`
	LastError     string        `json:"last_error"`
	LastErrorTime *time.Time    `json:"last_error_time"`
	Dedupe        *dedupe.Stats `json:"dedupe,omitempty"`
}

// DroppedTotal sums Dropped over every reason.
func (s Stats) DroppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// counters are the atomics behind [Stats] (accepted lives with the queue, under its lock).
type counters struct {
	delivered  atomic.Uint64
	retried    atomic.Uint64
	batches    atomic.Uint64
	inFlight   atomic.Int64
	hookPanics atomic.Uint64
	dropped    [numReasons]atomic.Uint64
	intake     [numReasons]atomic.Uint64 // the share of dropped counted at intake, for hooks and logs

	errMu   sync.Mutex
	lastErr string
	errTime time.Time
	causes  [numReasons]string // the last error behind each drop reason, for Close's message
}

// setLastError records err as the last error and, for reason >= 0, as the last cause of that drop reason.
func (c *counters) setLastError(reason reasonIndex, err error) {
	c.errMu.Lock()
	c.lastErr = err.Error()
	c.errTime = time.Now()
	if reason >= 0 {
		c.causes[reason] = err.Error()
	}
	c.errMu.Unlock()
}
