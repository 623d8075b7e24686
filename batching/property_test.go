package batching

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

// faultMode is what the property test's sink does on the next attempts.
type faultMode int

const (
	faultNone faultMode = iota
	faultServer
	faultHang
	faultReject
	faultPartial
	faultPanic
	numFaults
)

// TestAccountingPropertyUnderRandomFaults drives random interleavings of logging (from several goroutines),
// flushes, fault changes and a final Close, and checks after every step that the books add up, and at the
// end that they are exact and match what the sink really received.
func TestAccountingPropertyUnderRandomFaults(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			runAccountingProperty(t, seed)
		})
	}
}

func runAccountingProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sink := newRecordingSink()
	var modeMu sync.Mutex
	mode := faultNone
	sink.fail = func(ctx context.Context, b Batch) error {
		modeMu.Lock()
		m := mode
		modeMu.Unlock()
		switch m {
		case faultServer:
			return errServer
		case faultHang:
			return hang(ctx, b)
		case faultReject:
			return Permanent(errors.New("HTTP 400"))
		case faultPartial:
			return &PartialError{Failed: map[int]error{0: errServer, len(b.Events) - 1: Permanent(errors.New("bad"))}}
		case faultPanic:
			panic("sink bug")
		}
		return nil
	}
	opts := []Option{
		WithQueueSize(1 + rng.IntN(64)), WithBatchSize(1 + rng.IntN(16)), WithLinger(time.Millisecond),
		WithMemoryLimit(int64(2<<10 + rng.IntN(32<<10))), WithRetryInterval(time.Millisecond, 3*time.Millisecond),
		WithMaxElapsedTime(50 * time.Millisecond), WithExportTimeout(20 * time.Millisecond),
		WithExportConcurrency(1 + rng.IntN(3)),
	}
	if rng.IntN(2) == 0 {
		opts = append(opts, WithDedupe(dedupe.Options{Capacity: 1 + rng.IntN(50)}))
	}
	p := New(sink, opts...)

	steps := 30 + rng.IntN(30)
	var wg sync.WaitGroup
	for range steps {
		switch op := rng.IntN(10); {
		case op < 5: // a burst of logging from its own goroutine
			n, base := 1+rng.IntN(200), rng.IntN(1000)
			wg.Go(func() {
				for i := range n {
					s := fmt.Sprint("s", (base+i)%97)
					if i%7 == 0 {
						p.LogBanditAction(bandit("bf", s, fmt.Sprint("a", i%3)))
					} else {
						p.LogAssignment(assignment("f", s, fmt.Sprint("v", i%2)))
					}
				}
			})
		case op < 7:
			modeMu.Lock()
			mode = faultMode(rng.IntN(int(numFaults)))
			modeMu.Unlock()
		case op < 9:
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(20))*time.Millisecond)
			err := p.Flush(ctx)
			cancel()
			var ue *UndeliveredError
			if err != nil && !errors.As(err, &ue) {
				t.Fatalf("flush: %v", err)
			}
		default:
			time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
		}
		checkIdentity(t, p.Stats())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(10+rng.IntN(60))*time.Millisecond)
	defer cancel()
	closeErr := p.Close(ctx)
	wg.Wait() // loggers still running during Close are counted as closed
	st := p.Stats()
	checkIdentity(t, st)
	if st.Pending != 0 || st.QueueDepth != 0 || st.InFlight != 0 || st.MemoryBytes != 0 {
		t.Fatalf("not settled after Close: %+v", st)
	}
	if got := uint64(sink.count()); got != st.Delivered {
		t.Fatalf("sink received %d distinct events, stats say %d delivered", got, st.Delivered)
	}
	// Close's verdict covers the whole life; loggers still running after it only add closed drops.
	var ue *UndeliveredError
	switch {
	case errors.As(closeErr, &ue):
		for r, n := range st.Dropped {
			if r != ReasonClosed && ue.Dropped[r] != n {
				t.Fatalf("close reported %v, stats say %v", ue.Dropped, st.Dropped)
			}
		}
		if ue.Count+st.Dropped[ReasonClosed]-ue.Dropped[ReasonClosed] != st.DroppedTotal() {
			t.Fatalf("close reported %d lost, stats %v", ue.Count, st.Dropped)
		}
	case st.DroppedTotal() != st.Dropped[ReasonClosed]:
		t.Fatalf("close = %v with drops %v", closeErr, st.Dropped)
	}
	if sink.dupes != 0 {
		t.Fatalf("%d events delivered twice", sink.dupes)
	}
}
