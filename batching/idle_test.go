package batching

import (
	"context"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// An idle processor does no work: its batcher sleeps until an event arrives, with no periodic wakeup.
func TestIdleProcessorSleeps(t *testing.T) {
	p := New(newRecordingSink(), WithLinger(time.Millisecond))
	defer p.Close(ctxTimeout(t, time.Second))
	p.LogAssignment(assignment("f", "s", "v")) // some work first, so the linger timer ran and stopped
	if err := p.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	before := p.loops.Load()
	time.Sleep(time.Second)
	if n := p.loops.Load() - before; n > 2 {
		t.Fatalf("an idle batcher ran its loop %d times in a second", n)
	}
}

// A repeat exposure through a two-sink fan-out builds no event: the client asks the fan-out first, and
// both processors answer from their dedupe caches.
func TestFanoutDuplicateGate(t *testing.T) {
	a, b := newRecordingSink(), newRecordingSink()
	f := NewFanout(
		New(a, WithName("a"), WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond)),
		New(b, WithName("b"), WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond)),
	)
	defer f.Close(context.Background())
	c := flagsClient(t, f)
	attrs := core.Attributes{"country": "US", "email": "x@example.org", "age": 30}
	if v, err := c.GetIntegerAssignment("integer-flag", "alice", attrs, 0); err != nil || v == 0 {
		t.Fatalf("first exposure: %d, %v", v, err)
	}
	// Building an event copies the attributes (allocations); a suppressed duplicate allocates nothing.
	allocs := testing.AllocsPerRun(100, func() { _, _ = c.GetIntegerAssignment("integer-flag", "alice", attrs, 0) })
	if allocs != 0 {
		t.Fatalf("a repeat exposure through the fan-out allocates %.0f times: its event was built", allocs)
	}
	if err := f.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, st := range f.Stats() {
		if st.Accepted != 1 || st.Delivered != 1 || st.Deduplicated < 100 {
			t.Fatalf("%s: want 1 event and every repeat deduplicated: %+v", st.Name, st)
		}
	}
}
