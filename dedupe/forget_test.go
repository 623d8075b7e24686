package dedupe

import (
	"fmt"
	"sync"
	"testing"

	"github.com/eppokit/eppokit/core"
)

func TestForgetThenSameExposureLogsAgain(t *testing.T) {
	c := New(Options{})
	c.Admit(KindAssignment, "f", "s", "a", "A", accept)
	if !c.Forget(KindAssignment, "f", "s", "a", "A") {
		t.Fatal("Forget of the held value removed nothing")
	}
	if c.Seen(KindAssignment, "f", "s", "a", "A") || c.Len() != 0 {
		t.Fatalf("entry still held after Forget (len %d)", c.Len())
	}
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != LoggedNew {
		t.Fatalf("same exposure after Forget: %s, want %s", got, LoggedNew)
	}
	if c.Forget(KindAssignment, "f", "other", "a", "A") {
		t.Fatal("Forget of an absent key reported a removal")
	}
	if st := c.Stats(); st.Forgotten != 1 || st.Misses != 2 || st.Entries != 1 {
		t.Fatalf("stats %+v, want 1 forgotten, 2 misses, 1 entry", st)
	}
}

func TestForgetLeavesChangedValue(t *testing.T) {
	c := New(Options{})
	c.Admit(KindAssignment, "f", "s", "a", "A", accept)
	c.Admit(KindAssignment, "f", "s", "a", "B", accept) // the A event is dropped after the key moved to B
	if c.Forget(KindAssignment, "f", "s", "a", "A") {
		t.Fatal("Forget removed an entry that holds another variation")
	}
	if got := c.Admit(KindAssignment, "f", "s", "a", "B", accept); got != Suppressed {
		t.Fatalf("B after forgetting A: %s, want %s", got, Suppressed)
	}
	// The allocation is part of the value too.
	if c.Forget(KindAssignment, "f", "s", "other-alloc", "B") {
		t.Fatal("Forget removed an entry that holds another allocation")
	}
	// And the kinds stay apart.
	if c.Forget(KindBandit, "f", "s", "a", "B") {
		t.Fatal("a bandit Forget removed an assignment entry")
	}
	if st := c.Stats(); st.Forgotten != 0 || st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForgetDuringOfferWins: an event accepted and dropped before Admit returns (a fast batcher) is
// forgotten, and Admit's own bookkeeping does not bring the mark back.
func TestForgetDuringOfferWins(t *testing.T) {
	c := New(Options{})
	d := c.Admit(KindBandit, "f", "s", "b", "x", func() bool {
		if !c.Forget(KindBandit, "f", "s", "b", "x") {
			t.Error("Forget inside offer removed nothing")
		}
		return true
	})
	if d != LoggedNew || c.Seen(KindBandit, "f", "s", "b", "x") {
		t.Fatalf("decision %s, seen %v: want logged and not marked", d, c.Seen(KindBandit, "f", "s", "b", "x"))
	}
	// A refused offer after a Forget must not resurrect or double-remove anything.
	c.Admit(KindBandit, "f", "s", "b", "y", accept)
	d = c.Admit(KindBandit, "f", "s", "b", "z", func() bool {
		c.Forget(KindBandit, "f", "s", "b", "z")
		return false
	})
	if d != Refused || c.Len() != 0 {
		t.Fatalf("decision %s, len %d: want refused and empty", d, c.Len())
	}
	if got := c.Admit(KindBandit, "f", "s", "b", "y", accept); got != LoggedNew {
		t.Fatalf("y after a forgotten, refused z: %s", got)
	}
}

func TestForgetEventHelpers(t *testing.T) {
	c := New(Options{})
	a := core.AssignmentEvent{FeatureFlag: "f", Subject: "s", Allocation: "a", Variation: "A"}
	b := core.BanditEvent{FlagKey: "f", Subject: "s", BanditKey: "b", Action: "x"}
	c.AdmitAssignment(&a, accept)
	c.AdmitBandit(&b, accept)
	if !c.ForgetAssignment(&a) || !c.ForgetBandit(&b) || c.Len() != 0 {
		t.Fatalf("event helpers did not forget (len %d)", c.Len())
	}
}

// TestForgetConcurrentWithAdmit races Forget against Admit and Suppress on a few keys (run with -race): the
// entry count must match what the cache actually holds, and it never exceeds the capacity.
func TestForgetConcurrentWithAdmit(t *testing.T) {
	c := New(Options{Capacity: 16, Shards: 2})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				s := fmt.Sprint("s", (i*7+g)%24)
				v := fmt.Sprint("v", i%3)
				switch (i + g) % 3 {
				case 0:
					c.Admit(KindAssignment, "f", s, "a", v, accept)
				case 1:
					c.Forget(KindAssignment, "f", s, "a", v)
				default:
					c.Suppress(KindAssignment, "f", s, "a", v)
				}
			}
		})
	}
	wg.Wait()
	n := c.Len()
	if n > 16 {
		t.Fatalf("Len %d over capacity 16", n)
	}
	// Forgetting every exposure that could be held must remove exactly Len entries.
	removed := 0
	for k := range 24 {
		for v := range 3 {
			if c.Forget(KindAssignment, "f", fmt.Sprint("s", k), "a", fmt.Sprint("v", v)) {
				removed++
			}
		}
	}
	if removed != n || c.Len() != 0 {
		t.Fatalf("Len %d before, %d entries forgotten, Len %d after", n, removed, c.Len())
	}
}
