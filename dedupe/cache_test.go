package dedupe

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func accept() bool { return true }

func TestNewChangedSuppressed(t *testing.T) {
	c := New(Options{})
	steps := []struct {
		v    string
		want Decision
	}{{"A", LoggedNew}, {"A", Suppressed}, {"B", LoggedChanged}, {"A", LoggedChanged}, {"A", Suppressed}}
	for i, s := range steps {
		if got := c.Admit(KindAssignment, "f", "alice", "alloc", s.v, accept); got != s.want {
			t.Fatalf("step %d (%s): got %s, want %s", i, s.v, got, s.want)
		}
	}
	st := c.Stats()
	if st.Hits != 2 || st.Misses != 1 || st.Changes != 2 || st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestKindsAreSeparateKeySpaces(t *testing.T) {
	c := New(Options{})
	c.Admit(KindAssignment, "f", "s", "x", "y", accept)
	if got := c.Admit(KindBandit, "f", "s", "x", "y", accept); got != LoggedNew {
		t.Fatalf("bandit key collided with assignment key: %s", got)
	}
}

func TestRefusedOfferDoesNotPoison(t *testing.T) {
	c := New(Options{})
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", func() bool { return false }); got != Refused {
		t.Fatalf("got %s", got)
	}
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != LoggedNew {
		t.Fatalf("after a refusal the key must log again, got %s", got)
	}
	// A refused change restores the previous value: the old value is still a duplicate, the new one is not.
	c.Admit(KindAssignment, "f", "s", "a", "B", func() bool { return false })
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != Suppressed {
		t.Fatalf("old value should still be marked, got %s", got)
	}
	if got := c.Admit(KindAssignment, "f", "s", "a", "B", accept); got != LoggedChanged {
		t.Fatalf("refused change must log again, got %s", got)
	}
	if st := c.Stats(); st.Refused != 2 {
		t.Fatalf("refused = %d, want 2", st.Refused)
	}
}

func TestPanickingOfferRestoresAndPropagates(t *testing.T) {
	c := New(Options{})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed by Admit")
			}
		}()
		c.Admit(KindAssignment, "f", "s", "a", "A", func() bool { panic("boom") })
	}()
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != LoggedNew {
		t.Fatalf("key poisoned by a panicking offer: %s", got)
	}
}

func TestConcurrentIdenticalLogsOnce(t *testing.T) {
	c := New(Options{})
	var offers atomic.Int64
	var start, wg sync.WaitGroup
	start.Add(1)
	for range 1000 {
		wg.Go(func() {
			start.Wait()
			c.Admit(KindAssignment, "flag", "same-subject", "a", "A", func() bool { offers.Add(1); return true })
		})
	}
	start.Done()
	wg.Wait()
	if n := offers.Load(); n != 1 {
		t.Fatalf("1000 concurrent identical calls offered %d events, want exactly 1", n)
	}
	if st := c.Stats(); st.Hits != 999 || st.Misses != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTTLExpiryLogsAgain(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	c := New(Options{TTL: 24 * time.Hour, Now: func() time.Time { return time.Unix(0, now.Load()) }})
	c.Admit(KindAssignment, "f", "s", "a", "A", accept)
	now.Add(int64(23 * time.Hour))
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != Suppressed {
		t.Fatalf("before TTL: %s", got)
	}
	now.Add(int64(time.Hour))
	if got := c.Admit(KindAssignment, "f", "s", "a", "A", accept); got != LoggedNew {
		t.Fatalf("after TTL: %s, want logged again", got)
	}
	if st := c.Stats(); st.Expirations != 1 || st.Misses != 2 {
		t.Fatalf("stats %+v", st)
	}
	if !c.Seen(KindAssignment, "f", "s", "a", "A") {
		t.Fatal("freshly relogged entry should be seen")
	}
}

func TestEvictionBoundsMemory(t *testing.T) {
	const capacity = 8
	c := New(Options{Capacity: capacity})
	const n = 1000
	for i := range n {
		c.Admit(KindAssignment, "f", fmt.Sprint("s", i), "a", "A", accept)
		if l := c.Len(); l > capacity {
			t.Fatalf("cache holds %d entries, capacity %d", l, capacity)
		}
	}
	st := c.Stats()
	if st.Misses != n || st.Entries > capacity || st.Evictions != uint64(n-st.Entries) {
		t.Fatalf("stats %+v: want misses %d, evictions = misses - entries", st, n)
	}
	// A key evicted long ago is logged again (a duplicate, never a loss).
	if got := c.Admit(KindAssignment, "f", "s0", "a", "A", accept); got != LoggedNew {
		t.Fatalf("evicted key: %s", got)
	}
}

func TestSecondChanceKeepsHotKey(t *testing.T) {
	c := New(Options{Capacity: 4, Shards: 1})
	c.Admit(KindAssignment, "f", "hot", "a", "A", accept)
	for i := range 100 {
		c.Admit(KindAssignment, "f", "hot", "a", "A", accept) // marks it referenced
		c.Admit(KindAssignment, "f", fmt.Sprint("cold", i), "a", "A", accept)
	}
	if !c.Seen(KindAssignment, "f", "hot", "a", "A") {
		t.Fatal("a key hit between every insertion was evicted")
	}
}

func TestShardCount(t *testing.T) {
	for _, tc := range []struct{ capacity, shards, want int }{
		{1, 0, 1}, {3, 0, 2}, {8, 0, 8}, {1 << 20, 5, 8}, {1 << 20, 1000, maxShards},
	} {
		if got := (Options{Shards: tc.shards}).shardCount(tc.capacity); got != tc.want {
			t.Errorf("shardCount(cap %d, shards %d) = %d, want %d", tc.capacity, tc.shards, got, tc.want)
		}
	}
}

// TestCapacitySplitExactly fills caches whose capacity is not a multiple of the bucket size: every shard's
// buckets together must hold exactly its share, so that a full cache holds Capacity entries, never more.
func TestCapacitySplitExactly(t *testing.T) {
	for _, tc := range []struct{ capacity, shards int }{{1, 1}, {6, 1}, {13, 1}, {100, 4}, {1001, 8}, {77, 0}} {
		c := New(Options{Capacity: tc.capacity, Shards: tc.shards})
		for i := range 50 * tc.capacity {
			c.Admit(KindAssignment, "f", fmt.Sprint("s", i), "a", "A", accept)
		}
		if st := c.Stats(); st.Entries != tc.capacity {
			t.Errorf("capacity %d over %d shards: %d entries after many distinct keys, want %d",
				tc.capacity, tc.shards, st.Entries, tc.capacity)
		}
	}
}

// TestHitsCountedAcrossGoroutines checks that lock-free hits from many goroutines all reach Stats.
func TestHitsCountedAcrossGoroutines(t *testing.T) {
	c := New(Options{})
	c.Admit(KindAssignment, "f", "s", "a", "A", accept)
	const goroutines, each = 16, 1000
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if d := c.Admit(KindAssignment, "f", "s", "a", "A", accept); d != Suppressed {
					t.Errorf("duplicate decided %s", d)
					return
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Hits != goroutines*each || st.Misses != 1 {
		t.Fatalf("stats %+v, want %d hits and 1 miss", st, goroutines*each)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindAssignment: "assignment", KindBandit: "bandit", 7: "Kind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}
