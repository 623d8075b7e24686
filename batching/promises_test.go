package batching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// These tests hold the pipeline to what its documentation promises under the faults a skeptical user
// tries first: a long outage, Close racing senders, slow hooks, repeated Closes, a sink that rejects
// everything, and dedupe after a drop.

// bigAssignment is a distinct exposure carrying about 4 KiB of subject attributes, like a service that
// logs a rich user profile.
func bigAssignment(i int) core.AssignmentEvent {
	e := assignment("f", fmt.Sprint("subject-", i), "v")
	e.SubjectAttributes = core.Attributes{}
	for k := range 16 {
		e.SubjectAttributes[fmt.Sprint("attribute-", k)] = strings.Repeat(fmt.Sprint(k%10), 240)
	}
	return e
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A sink hangs through an outage while a service logs one distinct event per millisecond with a 1 ms
// linger, so every event seals its own batch: memory stays bounded by the limit (the heap, measured after
// GC, grows by at most twice the limit plus 16 MiB), the oldest waiting batches are dropped as
// memory_limit, and the books balance at every sample and exactly after Close.
func TestOutageMemoryStaysBounded(t *testing.T) {
	const limit = 8 << 20
	p := New(newHangingSink(), WithMemoryLimit(limit), WithLinger(time.Millisecond))
	base := heapAfterGC()
	var maxGrowth uint64
	start := time.Now()
	for i := range 5000 {
		p.LogAssignment(bigAssignment(i))
		if i%250 == 0 {
			st := p.Stats()
			checkIdentity(t, st)
			if st.MemoryBytes > 2*limit {
				t.Fatalf("event %d: MemoryBytes %d, more than twice the %d limit", i, st.MemoryBytes, limit)
			}
		}
		if i%1000 == 999 {
			if h := heapAfterGC(); h > base {
				maxGrowth = max(maxGrowth, h-base)
			}
		}
		if d := time.Until(start.Add(time.Duration(i+1) * time.Millisecond)); d > 0 {
			time.Sleep(d)
		}
	}
	if h := heapAfterGC(); h > base {
		maxGrowth = max(maxGrowth, h-base)
	}
	if maxGrowth > 2*limit+16<<20 {
		t.Fatalf("heap grew by %d MiB during the outage, more than twice the %d MiB limit plus 16 MiB",
			maxGrowth>>20, limit>>20)
	}
	st := p.Stats()
	checkIdentity(t, st)
	if st.Dropped[ReasonMemoryLimit] == 0 {
		t.Fatalf("5,000 events of ~4 KiB into a hung sink must hit the 8 MiB limit: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := p.Close(ctx)
	final := p.Stats()
	checkIdentity(t, final)
	if final.Pending != 0 || final.Accepted != 5000 || final.Delivered != 0 || final.MemoryBytes != 0 {
		t.Fatalf("after Close: %+v", final)
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Count != 5000 || ue.Dropped[ReasonMemoryLimit] != final.Dropped[ReasonMemoryLimit] {
		t.Fatalf("Close = %v, want all 5,000 reported with the memory_limit drops", err)
	}
	t.Logf("heap growth %.1f MiB, dropped %v", float64(maxGrowth)/(1<<20), final.Dropped)
}

// newHangingSink is a sink whose every Export waits until its context ends.
func newHangingSink() *recordingSink {
	s := newRecordingSink()
	s.fail = hang
	return s
}

// Small batches pin no storage sized for large ones: a one-event batch sealed by linger costs about one
// event, not the batch size's worth.
func TestLingerBatchCostsItsOwnSize(t *testing.T) {
	p := New(newHangingSink(), WithLinger(time.Millisecond), WithBatchSize(4096))
	defer p.Close(ctxTimeout(t, time.Second))
	const n = 200
	for i := range n {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
		eventually(t, 5*time.Second, func() bool { return p.Stats().Batches+uint64(p.waitingBatches()) > uint64(i) },
			"event %d never sealed", i)
	}
	// The queue's slots are fixed; one batch in flight holds at most full-size storage; every other batch
	// holds one event.
	perEvent := batchOverhead + eventSize + assignSize + 64
	full := int64(4096) * (eventSize + assignSize)
	if got, most := p.Stats().MemoryBytes, 8192*itemSize+2*full+n*perEvent; got > most {
		t.Fatalf("%d one-event batches hold %d bytes, want at most %d", n, got, most)
	}
}

func (p *Processor) waitingBatches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ready)
}

// No accepted event is stranded by Close, whatever the interleaving with senders: after Close and every
// sender returned, nothing is pending, and Close's count is exact (only closed drops may follow it).
func TestCloseStrandsNothing(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		t.Run(fmt.Sprint("blocking=", blocking), func(t *testing.T) {
			for round := range 40 {
				closeRacingSenders(t, blocking, time.Duration(round%5)*50*time.Microsecond)
			}
		})
	}
}

func closeRacingSenders(t *testing.T, blocking bool, deadline time.Duration) {
	opts := []Option{WithQueueSize(4), WithBatchSize(2), WithLinger(time.Millisecond)}
	if blocking {
		opts = append(opts, WithBlocking())
	}
	p := New(newHangingSink(), opts...)
	stop := senders(8, func(g, i int) {
		p.LogAssignment(assignment("f", fmt.Sprint(g, "-", i), "v"))
		if i%16 == 0 {
			runtime.Gosched() // eight spinning senders on two cores would starve Close and the batcher
		}
	})
	eventually(t, 5*time.Second, func() bool { return p.Stats().Accepted > 20 }, "senders did not start")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	err := p.Close(ctx)
	cancel()
	stop()
	st := p.Stats()
	checkIdentity(t, st)
	if st.Pending != 0 || st.QueueDepth != 0 || st.InFlight != 0 {
		t.Fatalf("stranded after Close: %+v", st)
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) {
		t.Fatalf("Close = %v with a hung sink", err)
	}
	for r, n := range st.Dropped {
		if r != ReasonClosed && ue.Dropped[r] != n {
			t.Fatalf("Close reported %v, stats now %v", ue.Dropped, st.Dropped)
		}
	}
	if ue.Count+st.Dropped[ReasonClosed]-ue.Dropped[ReasonClosed] != st.Accepted-st.Delivered {
		t.Fatalf("Close counted %d undelivered; stats: %+v", ue.Count, st)
	}
}

// A slow drop hook cannot hold Close past its deadline: hooks run on their own goroutine.
func TestSlowHookDoesNotHoldClose(t *testing.T) {
	var calls atomic.Int32
	p := New(newHangingSink(), WithQueueSize(4), WithBatchSize(2), WithLinger(time.Millisecond),
		WithDropHook(func(Drop) {
			calls.Add(1)
			time.Sleep(2 * time.Second)
		}))
	for i := range 100 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	eventually(t, 5*time.Second, func() bool { return calls.Load() > 0 }, "no drop reached the hook")
	closeWithin(t, p, 100*time.Millisecond, 100) // the hook sleeps 2s per call
	checkIdentity(t, p.Stats())
}

// Every later or concurrent Close returns what the first returned, including its count.
func TestCloseIsIdempotent(t *testing.T) {
	t.Run("after success", func(t *testing.T) {
		p := New(newRecordingSink(), WithLinger(time.Millisecond))
		p.LogAssignment(assignment("f", "s", "v"))
		if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		expired, cancel := context.WithTimeout(context.Background(), -time.Second)
		defer cancel()
		for range 100 {
			if err := p.Close(expired); err != nil {
				t.Fatalf("Close after a successful Close = %v", err)
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		p := New(newHangingSink(), WithLinger(time.Millisecond))
		for i := range 50 {
			p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i*20)*time.Millisecond)
				defer cancel()
				errs[i] = p.Close(ctx)
			})
		}
		wg.Wait()
		var ue *UndeliveredError
		if !errors.As(errs[0], &ue) || ue.Count != 50 {
			t.Fatalf("Close = %v, want 50 undelivered", errs[0])
		}
		for i, err := range errs {
			if err != errs[0] {
				t.Fatalf("Close #%d returned %v, the first returned %v", i, err, errs[0])
			}
		}
		if err := p.Close(context.Background()); err != errs[0] {
			t.Fatalf("a later Close returned %v, the first %v", err, errs[0])
		}
	})
}

// recordHandler keeps every slog record it is given.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

// A sink that rejects everything (a wrong write key) is not success: Close says how many of how many
// were not delivered and why, and the first rejection is logged at ERROR with the sink's reason.
func TestRejectingSinkIsReported(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = func(context.Context, Batch) error { return Permanent(errors.New("HTTP 401: invalid write key")) }
	logs := &recordHandler{}
	p := New(sink, WithLinger(time.Millisecond), WithBatchSize(100), WithLogger(slog.New(logs)))
	for i := range 1210 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	err := p.Close(ctxTimeout(t, 5*time.Second))
	const want = "batching: close sink: 1,210 of 1,210 events not delivered: 1,210 rejected (HTTP 401: invalid write key)"
	if err == nil || err.Error() != want {
		t.Fatalf("Close = %v\nwant %s", err, want)
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Dropped[ReasonRejected] != 1210 || ue.Accepted != 1210 {
		t.Fatalf("Close = %#v", err)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	var errorLines []slog.Record
	for _, r := range logs.records {
		if r.Level == slog.LevelError {
			errorLines = append(errorLines, r)
		}
	}
	if len(errorLines) == 0 {
		t.Fatalf("no ERROR line for a sink that rejects everything; logged %d lines", len(logs.records))
	}
	var reason string
	errorLines[0].Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			reason = a.Value.String()
		}
		return true
	})
	if !strings.Contains(reason, "HTTP 401: invalid write key") {
		t.Fatalf("first ERROR line %q carries error %q, want the sink's status and reason", errorLines[0].Message, reason)
	}
	if len(errorLines) > 2 { // the first at once, the rest summed into at most one more before Close
		t.Fatalf("%d ERROR lines for one cause: not rate-limited", len(errorLines))
	}
}

// Close returns nil only when every accepted event was delivered: drops long before Close count too.
func TestCloseReportsEarlierDrops(t *testing.T) {
	release := make(chan struct{})
	sink := newRecordingSink()
	sink.fail = func(ctx context.Context, b Batch) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p := New(sink, WithQueueSize(2), WithBatchSize(1), WithLinger(time.Millisecond), WithMemoryLimit(1<<30))
	for i := 0; p.Stats().Dropped[ReasonQueueFull] == 0; i++ {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	close(release)
	if err := p.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := closeAndCheck(t, p)
	if st.Dropped[ReasonQueueFull] == 0 || st.Delivered == 0 {
		t.Fatalf("%+v", st)
	}
}

// With dedupe, an exposure whose event was dropped is logged again: the drop removes it from the cache.
func TestDroppedExposureIsLoggedAgain(t *testing.T) {
	for _, tc := range []struct {
		reason DropReason
		opts   []Option
		fail   func(ctx context.Context, b Batch) error
	}{
		{ReasonRejected, nil, func(context.Context, Batch) error { return Permanent(errors.New("HTTP 400")) }},
		{ReasonRetriesExhausted, []Option{WithMaxRetries(1), WithRetryInterval(time.Millisecond, time.Millisecond)},
			func(context.Context, Batch) error { return errServer }},
		{ReasonPanic, nil, func(context.Context, Batch) error { panic("sink bug") }},
	} {
		t.Run(string(tc.reason), func(t *testing.T) {
			sink := newRecordingSink()
			sink.fail = tc.fail
			p := New(sink, append(tc.opts, WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond))...)
			ev := assignment("f", "alice", "A")
			p.LogAssignment(ev)
			eventually(t, 5*time.Second, func() bool { return p.Stats().Dropped[tc.reason] == 1 }, "no %s drop: %+v", tc.reason, p.Stats())
			sink.setFail(nil) // the sink recovers
			p.LogAssignment(ev)
			if err := p.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
				t.Fatal(err)
			}
			if st := p.Stats(); st.Delivered != 1 || st.Deduplicated != 0 {
				t.Fatalf("after a %s drop the same exposure must be logged again: %+v", tc.reason, st)
			}
			p.LogAssignment(ev) // delivered now, so a duplicate
			if st := p.Stats(); st.Deduplicated != 1 || st.Accepted != 2 {
				t.Fatalf("a delivered exposure must stay deduplicated: %+v", st)
			}
			_ = p.Close(ctxTimeout(t, 5*time.Second))
		})
	}
	t.Run(string(ReasonMemoryLimit), func(t *testing.T) {
		var mu sync.Mutex
		var dropped []string
		p := New(newHangingSink(), WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond), WithMemoryLimit(64<<10),
			WithQueueSize(64),
			WithDropHook(func(d Drop) {
				mu.Lock()
				defer mu.Unlock()
				for _, ev := range d.Events {
					dropped = append(dropped, ev.Assignment.Subject)
				}
			}))
		defer p.Close(ctxTimeout(t, time.Second))
		someDropped := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(dropped) > 0
		}
		for i := 0; i < 2000 && !someDropped(); i++ {
			p.LogAssignment(bigAssignment(i))
			time.Sleep(100 * time.Microsecond)
		}
		if err := p.hooks.wait(ctxTimeout(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dropped) == 0 {
			t.Fatalf("no memory_limit drop of a waiting batch: %+v", p.Stats())
		}
		for _, s := range dropped {
			if p.cache.Seen(dedupe.KindAssignment, "f", s, "alloc", "v") {
				t.Fatalf("%s was dropped as memory_limit but is still marked", s)
			}
		}
	})
	t.Run(string(ReasonShutdown), func(t *testing.T) {
		p := New(newHangingSink(), WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond))
		p.LogAssignment(assignment("f", "alice", "A"))
		_ = p.Close(ctxTimeout(t, 50*time.Millisecond))
		if p.Stats().Dropped[ReasonShutdown] != 1 || p.cache.Seen(dedupe.KindAssignment, "f", "alice", "alloc", "A") {
			t.Fatalf("a shutdown drop must leave the exposure unmarked: %+v", p.Stats())
		}
	})
}

// A drop forgets an exposure only while the cache still holds that variation: a newer one stays.
func TestDropKeepsNewerVariation(t *testing.T) {
	release := make(chan struct{})
	var first atomic.Bool
	sink := newRecordingSink()
	sink.fail = func(ctx context.Context, b Batch) error {
		if first.CompareAndSwap(false, true) { // A's batch: held, then rejected
			<-release
			return Permanent(errors.New("HTTP 400"))
		}
		return nil
	}
	p := New(sink, WithDedupe(dedupe.Options{}), WithBatchSize(1), WithLinger(time.Millisecond))
	defer p.Close(ctxTimeout(t, 5*time.Second))
	p.LogAssignment(assignment("f", "alice", "A"))
	eventually(t, 5*time.Second, func() bool { return first.Load() }, "A's batch not exported")
	p.LogAssignment(assignment("f", "alice", "B")) // the subject moved to B while A is in flight
	close(release)
	if err := p.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	p.LogAssignment(assignment("f", "alice", "B"))
	if st := p.Stats(); st.Dropped[ReasonRejected] != 1 || st.Delivered != 1 || st.Deduplicated != 1 {
		t.Fatalf("B must stay marked after A's drop: %+v", st)
	}
}

// The documentation states what a queue slot costs; keep it true.
func TestQueueSlotSize(t *testing.T) {
	if itemSize != 384 {
		t.Fatalf("a queue slot is %d bytes; the docs of WithMemoryLimit, the package and the README say 384", itemSize)
	}
}
