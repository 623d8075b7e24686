package batching

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// roomWaited reports whether the queue is full and a blocking-mode sender waits for room.
func (p *Processor) roomWaited() bool {
	return p.q.r.Len() == p.q.r.Cap() && p.q.waiters.Load() > 0
}

// TestBlockingSendersReleasedByClose fills a blocking-mode queue whose batcher cannot drain (memory is full
// and a batch is stuck in a hung sink), so that senders spin and wait; Close must release them all, count
// their events as closed and leave the accounting identity exact.
func TestBlockingSendersReleasedByClose(t *testing.T) {
	sink := newRecordingSink()
	sink.fail = hang
	p := New(sink, WithBlocking(), WithQueueSize(4), WithBatchSize(2), WithMemoryLimit(2<<10),
		WithLinger(time.Millisecond), WithExportTimeout(time.Hour))
	const senders = 8
	var wg sync.WaitGroup
	var returned atomic.Int32
	for range senders {
		wg.Go(func() {
			for p.TryLogAssignment(assignment("f", "s", "v")) { // false once Close refuses it
			}
			returned.Add(1)
		})
	}
	// Wait until senders are parked: the queue is full and stays full.
	eventually(t, 10*time.Second, func() bool { return p.roomWaited() },
		"senders never waited for room: %+v", p.Stats())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = p.Close(ctx)
	wg.Wait()
	if n := returned.Load(); n != senders {
		t.Fatalf("%d of %d senders returned", n, senders)
	}
	st := p.Stats()
	if st.Dropped[ReasonClosed] < senders {
		t.Fatalf("closed drops %d, want at least one per sender (%d): %+v", st.Dropped[ReasonClosed], senders, st)
	}
	if st.Pending != 0 {
		t.Fatalf("%d events still pending after Close: %+v", st.Pending, st)
	}
	checkIdentity(t, st)
}
