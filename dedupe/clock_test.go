package dedupe

import (
	"fmt"
	"sync"
	"testing"
)

// TestClockMatchesSecondChance compares clock, for every bucket size, hand and set of reference bits, with
// the textbook CLOCK loop run on its own (where nothing re-sets a bit, so that loop ends).
func TestClockMatchesSecondChance(t *testing.T) {
	for ways := 1; ways <= bucketWays; ways++ {
		for hand := range ways {
			for ref := uint32(0); ref < 1<<ways; ref++ {
				bits, h := ref, hand
				var want int
				for {
					if bits&(1<<h) != 0 {
						bits &^= 1 << h
						h = (h + 1) % ways
						continue
					}
					want = h
					break
				}
				got, passed := clock(ref, hand, ways)
				if got != want || ref&^passed != bits {
					t.Fatalf("ways %d hand %d ref %b: clock picks %d and leaves %b, second chance picks %d and leaves %b",
						ways, hand, ref, got, ref&^passed, want, bits)
				}
			}
		}
	}
}

// TestEvictionUnderConstantHits keeps every entry of a tiny cache referenced from other goroutines while
// misses evict (run with -race): every miss still completes, and the cache stays within its capacity.
func TestEvictionUnderConstantHits(t *testing.T) {
	const capacity = bucketWays
	c := New(Options{Capacity: capacity, Shards: 1})
	for i := range capacity {
		c.Admit(KindAssignment, "f", fmt.Sprint("hot", i), "a", "A", accept)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c.Suppress(KindAssignment, "f", fmt.Sprint("hot", i%capacity), "a", "A")
			}
		})
	}
	for i := range 2000 {
		c.Admit(KindAssignment, "f", fmt.Sprint("cold", i), "a", "A", accept)
		if n := c.Len(); n > capacity {
			close(stop)
			t.Fatalf("%d entries, capacity %d", n, capacity)
		}
	}
	close(stop)
	wg.Wait()
	if st := c.Stats(); st.Evictions != 2000 || st.Entries != capacity {
		t.Fatalf("stats %+v: want 2000 evictions and a full cache", st)
	}
}
