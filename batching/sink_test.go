package batching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

// recordingSink is a configurable test sink: it records every event it accepted (by ID), and can fail,
// hang or panic through fail.
type recordingSink struct {
	mu        sync.Mutex
	delivered map[string]Event
	batches   map[string][]int // batch ID -> attempts seen
	dupes     int              // events delivered twice
	exports   atomic.Int64
	closed    atomic.Bool
	// fail decides an attempt's outcome; nil means success. It runs before anything is recorded.
	fail func(ctx context.Context, b Batch) error
}

func newRecordingSink() *recordingSink {
	return &recordingSink{delivered: map[string]Event{}, batches: map[string][]int{}}
}

func (s *recordingSink) Export(ctx context.Context, b Batch) error {
	s.exports.Add(1)
	s.mu.Lock()
	s.batches[b.ID] = append(s.batches[b.ID], b.Attempt)
	fail := s.fail
	s.mu.Unlock()
	var err error
	if fail != nil {
		err = fail(ctx, b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	failed := map[int]bool{}
	if pe, ok := err.(*PartialError); ok {
		for i := range pe.Failed {
			failed[i] = true
		}
	} else if err != nil {
		return err
	}
	for i, ev := range b.Events {
		if failed[i] {
			continue
		}
		if _, ok := s.delivered[ev.ID]; ok {
			s.dupes++
		}
		s.delivered[ev.ID] = copyEvent(&ev)
	}
	return err
}

func (s *recordingSink) Close(context.Context) error {
	s.closed.Store(true)
	return nil
}

func (s *recordingSink) setFail(f func(ctx context.Context, b Batch) error) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delivered)
}

func (s *recordingSink) subjects() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, ev := range s.delivered {
		if ev.Assignment != nil {
			out[ev.Assignment.Subject]++
		} else {
			out[ev.Bandit.Subject]++
		}
	}
	return out
}

// hang blocks the attempt until ctx ends, like a peer that accepts the connection and never answers.
func hang(ctx context.Context, _ Batch) error {
	<-ctx.Done()
	return ctx.Err()
}

func assignment(flag, subject, variation string) core.AssignmentEvent {
	return core.AssignmentEvent{
		FeatureFlag: flag, Allocation: "alloc", Experiment: flag + "-alloc", Variation: variation,
		Subject: subject, Timestamp: time.Unix(1700000000, 0),
		MetaData: core.Metadata{SDKName: core.SDKName, SDKVersion: core.SDKVersion},
	}
}

func bandit(flag, subject, action string) core.BanditEvent {
	return core.BanditEvent{FlagKey: flag, BanditKey: "b", Subject: subject, Action: action, Timestamp: time.Unix(1700000000, 0)}
}

// loadSlack is added to every time bound: a loaded 2-core CI machine can deschedule any goroutine for
// tens of milliseconds. The bounds only need to tell "returned by the deadline" from "waited for a sink
// or hook that hangs for an hour or sleeps for seconds".
const loadSlack = time.Second

// senders starts n goroutines that each call log(g, i) for i = 0, 1, ... until stop is called; stop waits
// for them to return.
func senders(n int, log func(g, i int)) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				log(g, i)
			}
		})
	}
	return func() {
		done.Store(true)
		wg.Wait()
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", within, fmt.Sprintf(format, args...))
		}
		time.Sleep(time.Millisecond)
	}
}

// checkIdentity asserts the accounting identity on a snapshot.
func checkIdentity(t *testing.T, s Stats) {
	t.Helper()
	if s.Accepted != s.Delivered+s.DroppedTotal()+s.Pending {
		t.Fatalf("accounting broken: accepted %d != delivered %d + dropped %d + pending %d (%v)",
			s.Accepted, s.Delivered, s.DroppedTotal(), s.Pending, s.Dropped)
	}
}

// closeWithin closes p with a deadline d and fails unless Close returned by it (give or take loadSlack)
// with an UndeliveredError counting want events.
func closeWithin(t *testing.T, p *Processor, d time.Duration, want uint64) {
	t.Helper()
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := p.Close(ctx)
	if took := time.Since(begin); took > d+loadSlack {
		t.Fatalf("Close took %s with a %s deadline", took, d)
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) || ue.Count != want {
		t.Fatalf("Close = %v, want %d undelivered", err, want)
	}
}

// flagsClient is a core.Client over the conformance flags that logs assignments to logger.
func flagsClient(tb testing.TB, logger core.AssignmentLogger) *core.Client {
	tb.Helper()
	flags, err := os.ReadFile("../testdata/sdk-test-data/ufc/flags-v1.json")
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := core.NewConfiguration(flags, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := core.NewClient(core.Config{InitialConfiguration: cfg, AssignmentLogger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// closeAndCheck closes p within 5s and checks Close's verdict against the final Stats: nil when everything
// was delivered, otherwise an UndeliveredError whose counts are exactly the drops Stats shows.
func closeAndCheck(t *testing.T, p *Processor) Stats {
	t.Helper()
	err := p.Close(ctxTimeout(t, 5*time.Second))
	st := p.Stats()
	checkIdentity(t, st)
	if st.Pending != 0 {
		t.Fatalf("pending after Close: %+v", st)
	}
	if st.DroppedTotal() == 0 {
		if err != nil {
			t.Fatalf("Close = %v with every event delivered", err)
		}
		return st
	}
	var ue *UndeliveredError
	if !errors.As(err, &ue) {
		t.Fatalf("Close = %v, want an UndeliveredError for %d drops", err, st.DroppedTotal())
	}
	if ue.Count != st.DroppedTotal() || ue.Accepted != st.Accepted || !maps.Equal(ue.Dropped, st.Dropped) {
		t.Fatalf("Close reported %d of %d by %v; stats say %d of %d by %v", ue.Count, ue.Accepted, ue.Dropped,
			st.DroppedTotal(), st.Accepted, st.Dropped)
	}
	return st
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestMain(m *testing.M) {
	// The pipeline's own warnings are exercised on purpose here; keep test output readable.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
