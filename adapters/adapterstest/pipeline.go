package adapterstest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/eppokit/eppokit/batching"
)

// Log hands every event to p as an application would, through LogAssignment and LogBanditAction. The
// pipeline gives the events its own IDs, so compare what arrives with [CheckAccounting], which matches by
// content.
func Log(p *batching.Processor, events []batching.Event) {
	for _, e := range events {
		switch e.Kind {
		case batching.KindAssignment:
			p.LogAssignment(*e.Assignment)
		case batching.KindBandit:
			p.LogBanditAction(*e.Bandit)
		}
	}
}

// DropRecorder collects what a pipeline reports dropped; pass its Hook to batching.WithDropHook.
type DropRecorder struct {
	mu        sync.Mutex
	dropped   []droppedEvent
	aggregate map[batching.DropReason]int
}

type droppedEvent struct {
	id, content string
	reason      batching.DropReason
}

// Hook records d. Hooks must not keep the events, so each is reduced to its ID and canonical content
// here. Drops at intake carry no events and are only counted per reason.
func (r *DropRecorder) Hook(d batching.Drop) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.Events == nil {
		if r.aggregate == nil {
			r.aggregate = map[batching.DropReason]int{}
		}
		r.aggregate[d.Reason] += d.Count
		return
	}
	for _, e := range d.Events {
		r.dropped = append(r.dropped, droppedEvent{id: e.ID, content: contentKey(e), reason: d.Reason})
	}
}

// Counts returns how many dropped events were recorded one by one, per reason, and how many intake drops
// were reported only as a count.
func (r *DropRecorder) Counts() (perReason map[batching.DropReason]int, intake int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	perReason = map[batching.DropReason]int{}
	for _, d := range r.dropped {
		perReason[d.reason]++
	}
	for _, c := range r.aggregate {
		intake += c
	}
	return perReason, intake
}

func (r *DropRecorder) snapshot() ([]droppedEvent, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.aggregate {
		n += c
	}
	return append([]droppedEvent(nil), r.dropped...), n
}

// contentKey is an event's canonical form without its ID.
func contentKey(e batching.Event) string {
	e.ID = ""
	return Canonical(e)
}

// CheckAccounting verifies the pipeline's accounting identity against what the real peer received, after
// the processor was closed: every logged event was accepted; accepted = delivered + dropped with nothing
// pending; the peer holds exactly the logged events minus the dropped ones, each intact (matched by
// content, since the pipeline assigns IDs), and as many distinct events as Stats says were delivered;
// no dropped event reached the peer. Repeats of an ID (at-least-once redelivery) are allowed and returned.
func CheckAccounting(t testing.TB, st batching.Stats, logged, received []batching.Event, drops *DropRecorder) (duplicates int) {
	t.Helper()
	if st.Accepted != uint64(len(logged)) {
		t.Errorf("Stats.Accepted = %d, logged %d", st.Accepted, len(logged))
	}
	if st.Pending != 0 {
		t.Errorf("Stats.Pending = %d after Close, want 0", st.Pending)
	}
	if st.Delivered+st.DroppedTotal() != st.Accepted {
		t.Errorf("Delivered %d + dropped %d (%v) != accepted %d", st.Delivered, st.DroppedTotal(), st.Dropped, st.Accepted)
	}
	dropped, intake := drops.snapshot()
	if uint64(len(dropped)+intake) != st.DroppedTotal() {
		t.Errorf("drop hook saw %d events + %d at intake, Stats counts %d dropped", len(dropped), intake, st.DroppedTotal())
	}

	want := map[string]int{}
	for _, e := range logged {
		want[contentKey(e)]++
	}
	for _, d := range dropped {
		if want[d.content] == 0 {
			t.Errorf("dropped event %s was never logged: %s", d.id, d.content)
			continue
		}
		want[d.content]--
	}
	seenID := map[string]string{}
	got := map[string]int{}
	for _, e := range received {
		k := contentKey(e)
		if prev, ok := seenID[e.ID]; ok {
			if prev != k {
				t.Errorf("ID %s received with two different contents", e.ID)
			}
			duplicates++
			continue
		}
		seenID[e.ID] = k
		got[k]++
	}
	if uint64(len(seenID)) != st.Delivered {
		t.Errorf("peer holds %d distinct events, Stats.Delivered = %d", len(seenID), st.Delivered)
	}
	var missing, unexpected []string
	for k, n := range want {
		if got[k] < n {
			missing = append(missing, k)
		}
	}
	for k, n := range got {
		if want[k] < n {
			unexpected = append(unexpected, k)
		}
	}
	if len(missing) > 0 || len(unexpected) > 0 {
		t.Errorf("peer content differs from logged minus dropped: %d missing (first %s), %d unexpected (first %s)",
			len(missing), first(missing), len(unexpected), first(unexpected))
	}
	return duplicates
}

func first(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.300s", s[0])
}

// CheckCloseError checks what Close returned against the Stats read after it: nil when every accepted
// event was delivered, and otherwise a *batching.UndeliveredError counting exactly the events not delivered.
func CheckCloseError(t testing.TB, err error, st batching.Stats) {
	t.Helper()
	if st.Delivered == st.Accepted && st.Pending == 0 {
		if err != nil {
			t.Fatalf("Close = %v although every accepted event was delivered", err)
		}
		return
	}
	var ue *batching.UndeliveredError
	if !errors.As(err, &ue) {
		t.Fatalf("Close = %v (%T) with %d of %d events not delivered, want a *batching.UndeliveredError",
			err, err, st.Accepted-st.Delivered, st.Accepted)
	}
	if ue.Count != st.Accepted-st.Delivered {
		t.Fatalf("Close's error counts %d undelivered, Stats say %d: %v", ue.Count, st.Accepted-st.Delivered, err)
	}
}
