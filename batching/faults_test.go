package batching

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

var errServer = errors.New("HTTP 500")

func TestHungSink(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = hang
	const limit = 1 << 20 // the queue's 1,000 slots take about 384 KiB of it
	p := New(sink, WithBatchSize(50), WithLinger(time.Millisecond), WithMemoryLimit(limit),
		WithExportTimeout(time.Hour), WithQueueSize(1000))
	goroutines := runtime.NumGoroutine()
	var maxMem int64
	const n = 50000
	for i := range n {
		start := time.Now()
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
		if d := time.Since(start); d > loadSlack {
			t.Fatalf("LogAssignment took %s with a hung sink", d)
		}
		if i%1000 == 0 {
			maxMem = max(maxMem, p.Stats().MemoryBytes)
			if g := runtime.NumGoroutine(); g > goroutines {
				t.Fatalf("goroutines grew from %d to %d", goroutines, g)
			}
		}
	}
	// Between an event's arrival over the cap and the batcher dropping the oldest waiting batch for it,
	// the processor may hold up to the waiting batches' bytes more; once the batcher ran, the cap holds.
	if maxMem > 2*limit {
		t.Fatalf("memory reached %d, more than twice the %d cap", maxMem, limit)
	}
	eventually(t, 5*time.Second, func() bool { return p.Stats().MemoryBytes <= limit }, "memory stays above the cap: %+v", p.Stats())
	st := p.Stats()
	checkIdentity(t, st)
	if st.Dropped[ReasonMemoryLimit] == 0 {
		t.Fatalf("a hung sink under load must shed batches as memory_limit: %+v", st)
	}
	pendingBeforeClose := st.Pending

	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := p.Close(ctx)
	took := time.Since(begin)
	if took > 200*time.Millisecond+loadSlack {
		t.Fatalf("Close took %s, deadline was 200ms", took)
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close error = %v, want an UndeliveredError wrapping the deadline", err)
	}
	final := p.Stats()
	checkIdentity(t, final)
	if final.Pending != 0 || final.Delivered != 0 {
		t.Fatalf("after Close: %+v", final)
	}
	if ue.Count != final.DroppedTotal() || ue.Dropped[ReasonShutdown] != final.Dropped[ReasonShutdown] ||
		ue.Dropped[ReasonShutdown] == 0 || ue.Dropped[ReasonShutdown] > pendingBeforeClose {
		t.Fatalf("Close reported %d lost (%v), stats say %v (pending before close %d)",
			ue.Count, ue.Dropped, final.Dropped, pendingBeforeClose)
	}
	if final.Accepted != n {
		t.Fatalf("accepted %d, want %d", final.Accepted, n)
	}
}

// TestHungSinkIgnoringContext: a sink that never returns, even after its context ends, still cannot hold
// Close past its deadline, and is not counted twice when it finally returns.
func TestHungSinkIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	sink := newRecordingSink()
	sink.fail = func(context.Context, Batch) error { <-release; return nil }
	p := New(sink, WithBatchSize(10), WithLinger(time.Millisecond))
	for i := range 100 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	eventually(t, 2*time.Second, func() bool { return sink.exports.Load() > 0 }, "no export started")
	closeWithin(t, p, 100*time.Millisecond, 100)
	close(release) // the stuck Export now returns "delivered": it must not be counted again
	time.Sleep(20 * time.Millisecond)
	st := p.Stats()
	checkIdentity(t, st)
	if st.Delivered != 0 || st.Dropped[ReasonShutdown] != 100 {
		t.Fatalf("late Export changed the books: %+v", st)
	}
}

func TestServerErrorThenRecover(t *testing.T) {
	sink := newRecordingSink()
	var failures atomic.Int64
	sink.fail = func(_ context.Context, b Batch) error {
		if failures.Add(1) <= 3 {
			return errServer
		}
		return nil
	}
	var hookErrs atomic.Int64
	p := New(sink, WithBatchSize(100), WithLinger(time.Minute), WithRetryInterval(time.Millisecond, 5*time.Millisecond),
		WithErrorHook(func(e ExportError) {
			if !e.Retrying || !errors.Is(e.Err, errServer) {
				t.Errorf("unexpected export error %+v", e)
			}
			hookErrs.Add(1)
		}))
	for i := range 100 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	checkIdentity(t, st)
	if st.Delivered != 100 || sink.count() != 100 || st.DroppedTotal() != 0 {
		t.Fatalf("want all 100 delivered after recovery: %+v", st)
	}
	if st.Retried != 300 || hookErrs.Load() != 3 || st.LastError == "" || st.LastErrorTime == nil {
		t.Fatalf("want 3 retries of 100 events counted and reported: retried %d, hook %d, %+v", st.Retried, hookErrs.Load(), st)
	}
	// One batch, same ID, attempts 1..4.
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.batches) != 1 {
		t.Fatalf("batch ID changed across retries: %v", sink.batches)
	}
	for _, attempts := range sink.batches {
		if fmt.Sprint(attempts) != "[1 2 3 4]" {
			t.Fatalf("attempts %v", attempts)
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	sink := newRecordingSink()
	var mu sync.Mutex
	var times []time.Time
	sink.fail = func(_ context.Context, b Batch) error {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) == 1 {
			return RetryAfter(errors.New("HTTP 429"), 150*time.Millisecond)
		}
		return nil
	}
	p := New(sink, WithLinger(time.Millisecond), WithRetryInterval(time.Millisecond, time.Millisecond))
	p.LogAssignment(assignment("f", "s", "v"))
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 || times[1].Sub(times[0]) < 150*time.Millisecond {
		t.Fatalf("second attempt %v after the first, want ≥ 150ms (Retry-After)", times[1].Sub(times[0]))
	}
	if st := p.Stats(); st.Delivered != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestRetryAfterBeyondBudgetGivesUp(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = func(context.Context, Batch) error { return RetryAfter(errors.New("HTTP 429"), time.Hour) }
	p := New(sink, WithLinger(time.Millisecond), WithMaxElapsedTime(time.Second))
	p.LogAssignment(assignment("f", "s", "v"))
	if err := p.Flush(ctxTimeout(t, 2*time.Second)); err != nil {
		t.Fatalf("flush must end once the budget rules the retry out: %v", err)
	}
	st := p.Stats()
	if st.Dropped[ReasonRetriesExhausted] != 1 || sink.exports.Load() != 1 {
		t.Fatalf("%+v after %d exports", st, sink.exports.Load())
	}
	_ = p.Close(ctxTimeout(t, time.Second))
}

func TestMaxRetries(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = func(context.Context, Batch) error { return errServer }
	p := New(sink, WithLinger(time.Millisecond), WithMaxRetries(2), WithRetryInterval(time.Millisecond, time.Millisecond))
	p.LogAssignment(assignment("f", "s", "v"))
	if st := closeAndCheck(t, p); st.Dropped[ReasonRetriesExhausted] != 1 || sink.exports.Load() != 3 || st.Retried != 2 {
		t.Fatalf("want 1 try + 2 retries then retries_exhausted: %+v, exports %d", st, sink.exports.Load())
	}
}

func TestPermanentRejectionOfOneEvent(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = func(_ context.Context, b Batch) error {
		for i, ev := range b.Events {
			if ev.Assignment.Subject == "bad" {
				return &PartialError{Failed: map[int]error{i: Permanent(errors.New("HTTP 400: too large"))}}
			}
		}
		return nil
	}
	var dropped []string // reason:subject, copied in the hook (hooks must not keep events)
	var mu sync.Mutex
	p := New(sink, WithBatchSize(10), WithLinger(time.Millisecond), WithDropHook(func(d Drop) {
		mu.Lock()
		for _, ev := range d.Events {
			dropped = append(dropped, string(d.Reason)+":"+ev.Assignment.Subject)
		}
		mu.Unlock()
	}))
	for i := range 10 {
		s := fmt.Sprint(i)
		if i == 4 {
			s = "bad"
		}
		p.LogAssignment(assignment("f", s, "v"))
	}
	st := closeAndCheck(t, p)
	if st.Delivered != 9 || st.Dropped[ReasonRejected] != 1 || sink.count() != 9 || sink.exports.Load() != 1 {
		t.Fatalf("want 9 delivered in one attempt, 1 rejected: %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(dropped) != "[rejected:bad]" {
		t.Fatalf("drop hook saw %+v", dropped)
	}
}

func TestPartialRetryOnlyFailedEvents(t *testing.T) {
	sink := newRecordingSink()
	var calls atomic.Int64
	sink.fail = func(_ context.Context, b Batch) error {
		if calls.Add(1) == 1 {
			return &PartialError{Failed: map[int]error{0: errServer, 2: errServer}}
		}
		if len(b.Events) != 2 {
			return Permanent(fmt.Errorf("retry sent %d events, want the 2 that failed", len(b.Events)))
		}
		return nil
	}
	p := New(sink, WithBatchSize(5), WithLinger(time.Millisecond), WithRetryInterval(time.Millisecond, time.Millisecond))
	for i := range 5 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != 5 || st.Retried != 2 || sink.dupes != 0 {
		t.Fatalf("%+v dupes %d", st, sink.dupes)
	}
}

func TestPanickingSinkAndHooks(t *testing.T) {
	sink := newRecordingSink()
	var calls atomic.Int64
	sink.fail = func(context.Context, Batch) error {
		if calls.Add(1) == 1 {
			panic("sink bug")
		}
		return nil
	}
	p := New(sink, WithBatchSize(3), WithLinger(time.Millisecond),
		WithDropHook(func(Drop) { panic("drop hook bug") }),
		WithErrorHook(func(ExportError) { panic("error hook bug") }))
	for i := range 3 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	eventually(t, 2*time.Second, func() bool { return p.Stats().Dropped[ReasonPanic] == 3 }, "panic drop not counted")
	for i := range 3 {
		p.LogAssignment(assignment("g", fmt.Sprint(i), "v"))
	}
	st := closeAndCheck(t, p)
	if st.Delivered != 3 || st.Dropped[ReasonPanic] != 3 || st.HookPanics != 2 {
		t.Fatalf("pipeline must survive a panicking sink and hooks: %+v", st)
	}
}

// encodingSink encodes events and refuses payloads above 40 bytes.
type encodingSink struct{ *recordingSink }

func (encodingSink) MaxEventBytes() int { return 40 }

func (encodingSink) Encode(e *Event) ([]byte, error) {
	switch e.Assignment.Subject {
	case "unencodable":
		return nil, errors.New("bad value")
	case "explode":
		panic("encoder bug")
	}
	return []byte(e.ID + ":" + e.Assignment.Subject), nil
}

func TestOversizeAndEncodeErrorsDropAlone(t *testing.T) {
	rec := newRecordingSink()
	p := New(encodingSink{rec}, WithLinger(time.Millisecond))
	for _, s := range []string{"ok1", "a-subject-far-too-long-to-fit-in-forty-bytes", "unencodable", "explode", "ok2"} {
		p.LogAssignment(assignment("f", s, "v"))
	}
	st := closeAndCheck(t, p)
	if st.Delivered != 2 || st.Dropped[ReasonOversize] != 1 || st.Dropped[ReasonEncode] != 1 || st.Dropped[ReasonPanic] != 1 {
		t.Fatalf("%+v", st)
	}
	for id, ev := range rec.delivered {
		if string(ev.Payload) != id+":"+ev.Assignment.Subject {
			t.Fatalf("payload %q not kept with event %s", ev.Payload, id)
		}
	}
	if st.MemoryBytes != 0 {
		t.Fatalf("memory not released: %d", st.MemoryBytes)
	}
}

func TestBatchBytesLimit(t *testing.T) {
	rec := newRecordingSink()
	var mu sync.Mutex
	var sizes []int
	rec.fail = func(_ context.Context, b Batch) error {
		n := 0
		for _, ev := range b.Events {
			n += len(ev.Payload)
		}
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
		return nil
	}
	p := New(encodingSink{rec}, WithBatchBytes(100), WithLinger(time.Hour))
	for i := range 20 {
		p.LogAssignment(assignment("f", fmt.Sprint("s", i), "v")) // ~37-byte payloads
	}
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if rec.count() != 20 {
		t.Fatalf("delivered %d", rec.count())
	}
	for _, n := range sizes {
		if n > 100 {
			t.Fatalf("batch of %d bytes exceeds the 100-byte limit (sizes %v)", n, sizes)
		}
	}
}

func TestCloseUnderFullLoadWithDeadSink(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = hang
	p := New(sink, WithBatchSize(64), WithLinger(time.Millisecond), WithQueueSize(512), WithMemoryLimit(1<<20),
		WithDedupe(dedupe.Options{Capacity: 1000}))
	stop := senders(8, func(g, i int) {
		p.LogAssignment(assignment("f", fmt.Sprint(g, "-", i), "v"))
		p.LogBanditAction(bandit("f", fmt.Sprint(g, "-", i), "a"))
	})
	eventually(t, 2*time.Second, func() bool { return p.Stats().Accepted > 10000 }, "load did not start")
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	err := p.Close(ctx)
	if took := time.Since(begin); took > 150*time.Millisecond+loadSlack {
		t.Fatalf("Close took %s under load with a 150ms deadline", took)
	}
	stop()
	var ue *UndeliveredError
	if !errors.As(err, &ue) {
		t.Fatalf("Close = %v", err)
	}
	st := p.Stats()
	checkIdentity(t, st)
	// Loggers kept running after Close returned, so only their closed drops may have grown since.
	if st.Pending != 0 || st.Delivered != 0 || ue.Dropped[ReasonShutdown] != st.Dropped[ReasonShutdown] ||
		ue.Dropped[ReasonShutdown] == 0 || st.Dropped[ReasonClosed] == 0 ||
		st.DroppedTotal()-ue.Count != st.Dropped[ReasonClosed]-ue.Dropped[ReasonClosed] {
		t.Fatalf("books after close under load: %+v (reported %v)", st, ue)
	}
}

func TestSameSubjectFromManyGoroutinesLogsOnce(t *testing.T) {
	sink := newRecordingSink()
	p := New(sink, WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond))
	var start, wg sync.WaitGroup
	start.Add(1)
	for range 1000 {
		wg.Go(func() {
			start.Wait()
			p.LogAssignment(assignment("flag", "same-subject", "A"))
		})
	}
	start.Done()
	wg.Wait()
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if sink.count() != 1 || st.Delivered != 1 || st.Deduplicated != 999 {
		t.Fatalf("1000 concurrent identical assignments delivered %d events: %+v", sink.count(), st)
	}
}

func TestBlockingModeLosesNothing(t *testing.T) {
	sink := newRecordingSink()
	var calls atomic.Int64
	sink.fail = func(context.Context, Batch) error {
		if calls.Add(1)%3 == 0 {
			time.Sleep(2 * time.Millisecond) // a slow peer now and then
		}
		return nil
	}
	p := New(sink, WithBlocking(), WithQueueSize(8), WithBatchSize(4), WithMemoryLimit(4<<10), WithLinger(time.Millisecond))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				p.LogAssignment(assignment("f", fmt.Sprint(g, "-", i), "v"))
			}
		})
	}
	wg.Wait()
	if err := p.Close(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Delivered != 2000 || st.DroppedTotal() != 0 || sink.count() != 2000 {
		t.Fatalf("blocking mode must not drop: %+v", st)
	}
}

func TestFanoutIsolatesDeadSink(t *testing.T) {
	dead := newRecordingSink()
	dead.fail = hang
	healthy := newRecordingSink()
	f := NewFanout(
		New(dead, WithName("dead"), WithLinger(time.Millisecond), WithQueueSize(64), WithBatchSize(16), WithMemoryLimit(64<<10)),
		New(healthy, WithName("healthy"), WithLinger(time.Millisecond), WithQueueSize(1<<14)),
	)
	const n = 5000
	for i := range n {
		f.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	eventually(t, 5*time.Second, func() bool { return healthy.count() == n }, "healthy sink got %d of %d", healthy.count(), n)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := f.Close(ctx)
	stats := f.Stats()
	if stats[1].Delivered != n || stats[1].DroppedTotal() != 0 {
		t.Fatalf("healthy: %+v", stats[1])
	}
	if stats[0].Delivered != 0 || stats[0].DroppedTotal() != n || err == nil {
		t.Fatalf("dead: %+v, close err %v", stats[0], err)
	}
	for _, s := range stats {
		checkIdentity(t, s)
	}
}
