package batching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

func TestDeliversEverythingAndAddsUp(t *testing.T) {
	sink := newRecordingSink()
	p := New(sink, WithBatchSize(7), WithLinger(5*time.Millisecond))
	const n = 1000
	for i := range n {
		p.LogAssignment(assignment("f", fmt.Sprint("s", i), "on"))
		if i%10 == 0 {
			p.LogBanditAction(bandit("bf", fmt.Sprint("s", i), "a"))
		}
	}
	if err := p.Flush(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	checkIdentity(t, st)
	if st.Delivered != n+n/10 || sink.count() != n+n/10 || st.Pending != 0 {
		t.Fatalf("after flush: stats %+v, sink has %d", st, sink.count())
	}
	if err := p.Close(ctxTimeout(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	if !sink.closed.Load() {
		t.Fatal("sink not closed")
	}
	// Every batch respected the count limit.
	sink.mu.Lock()
	for id := range sink.batches {
		if !strings.Contains(id, "-b") {
			t.Fatalf("unexpected batch id %q", id)
		}
	}
	sink.mu.Unlock()
}

func TestEventIDsUniqueAndBatchSizeBounded(t *testing.T) {
	var mu sync.Mutex
	sizes := []int{}
	sink := newRecordingSink()
	sink.fail = func(_ context.Context, b Batch) error {
		mu.Lock()
		sizes = append(sizes, len(b.Events))
		mu.Unlock()
		return nil
	}
	p := New(sink, WithBatchSize(10), WithLinger(time.Hour))
	for i := range 95 {
		p.LogAssignment(assignment("f", fmt.Sprint(i), "v"))
	}
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if sink.count() != 95 || sink.dupes != 0 {
		t.Fatalf("got %d distinct event IDs (%d dupes), want 95", sink.count(), sink.dupes)
	}
	for _, s := range sizes {
		if s > 10 {
			t.Fatalf("batch of %d events exceeds the count limit 10", s)
		}
	}
}

func TestLingerSendsPartialBatch(t *testing.T) {
	sink := newRecordingSink()
	p := New(sink, WithBatchSize(100), WithLinger(10*time.Millisecond))
	defer p.Close(context.Background())
	p.LogAssignment(assignment("f", "s", "v"))
	eventually(t, 2*time.Second, func() bool { return sink.count() == 1 }, "linger did not send the lone event")
}

func TestDedupeInPipeline(t *testing.T) {
	sink := newRecordingSink()
	p := New(sink, WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond))
	for range 5 {
		p.LogAssignment(assignment("f", "alice", "A"))
	}
	p.LogAssignment(assignment("f", "alice", "B"))
	p.LogAssignment(assignment("f", "alice", "A"))
	if err := p.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Delivered != 3 || st.Deduplicated != 4 || st.Accepted != 3 {
		t.Fatalf("A×5,B,A: want 3 delivered, 4 deduplicated; got %+v", st)
	}
	checkIdentity(t, st)
}

func TestQueueFullDropsAndDoesNotPoisonDedupe(t *testing.T) {
	sink := newRecordingSink()
	release := make(chan struct{})
	sink.fail = func(ctx context.Context, b Batch) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	p := New(sink, WithQueueSize(4), WithBatchSize(1), WithDedupe(dedupe.Options{}), WithLinger(time.Millisecond),
		WithMemoryLimit(1<<30))
	// Fill the pipeline: one in flight, the rest in the queue or pending; then keep offering until one drops.
	var refused string
	for i := 0; i < 10000 && refused == ""; i++ {
		s := fmt.Sprint("s", i)
		if !p.TryLogAssignment(assignment("f", s, "v")) {
			refused = s
		}
	}
	if refused == "" {
		// The batcher moves queued events into pending batches, so the queue may never fill; the memory
		// limit below proves the same point when it does not.
		t.Log("queue never filled: batcher kept up")
	}
	close(release)
	if refused != "" {
		eventually(t, 5*time.Second, func() bool { return p.TryLogAssignment(assignment("f", refused, "v")) },
			"refused key stayed poisoned")
	}
	closeAndCheck(t, p)
	if refused != "" && sink.subjects()[refused] != 1 {
		t.Fatalf("refused subject delivered %d times, want 1 after the retry", sink.subjects()[refused])
	}
}

func TestClosedIntakeCounted(t *testing.T) {
	sink := newRecordingSink()
	p := New(sink)
	if err := p.Close(ctxTimeout(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	p.LogAssignment(assignment("f", "s", "v"))
	p.LogBanditAction(bandit("f", "s", "a"))
	st := p.Stats()
	if st.Dropped[ReasonClosed] != 2 || st.Accepted != 2 {
		t.Fatalf("want 2 closed drops, got %+v", st)
	}
	checkIdentity(t, st)
	if err := p.Close(ctxTimeout(t, time.Second)); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := p.Flush(ctxTimeout(t, time.Second)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close = %v, want ErrClosed", err)
	}
}

func TestStatsJSONNames(t *testing.T) {
	p := New(newRecordingSink(), WithName("csv"))
	defer p.Close(context.Background())
	raw, err := json.Marshal(p.Stats())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accepted", "deduplicated", "delivered", "retried", "dropped", "pending",
		"queue_depth", "in_flight", "last_error", "last_error_time"} {
		if _, ok := m[k]; !ok {
			t.Errorf("stats JSON lacks %q: %s", k, raw)
		}
	}
	if d, ok := m["dropped"].(map[string]any); !ok || len(d) != 0 {
		t.Errorf("dropped = %v, want {}", m["dropped"])
	}
}
