package dedupe

import (
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestBucketLayout asserts the layout the docs state: a bucket of seven entries is two cache lines, the
// fingerprints and reference bits every call reads on the first, key tags and generations on the second.
func TestBucketLayout(t *testing.T) {
	var b bucket
	if got := unsafe.Sizeof(b); got != 2*cacheLine {
		t.Errorf("bucket is %d bytes, want %d", got, 2*cacheLine)
	}
	if got := unsafe.Offsetof(b.keys); got != cacheLine {
		t.Errorf("key tags start at byte %d, want %d", got, cacheLine)
	}
	if end := unsafe.Offsetof(b.ref) + unsafe.Sizeof(b.ref); end > cacheLine {
		t.Errorf("fingerprints and reference bits end at byte %d, past the first line", end)
	}
}

// TestShardLayout asserts that the shard's field groups (read-only, hit counter, lock and its counters) are
// a full cache line apart, so no two groups can share a line whatever the shard's address.
func TestShardLayout(t *testing.T) {
	var s shard
	gaps := []struct {
		name       string
		prevEnd    uintptr
		nextOffset uintptr
	}{
		{"tables → hits", unsafe.Offsetof(s.at) + unsafe.Sizeof(s.at), unsafe.Offsetof(s.hits)},
		{"hits → lock", unsafe.Offsetof(s.hits) + unsafe.Sizeof(s.hits), unsafe.Offsetof(s.mu)},
		{"counters → next shard", unsafe.Offsetof(s.forgotten) + unsafe.Sizeof(s.forgotten), unsafe.Sizeof(s)},
	}
	for _, g := range gaps {
		if g.nextOffset-g.prevEnd < cacheLine {
			t.Errorf("%s: %d bytes apart, want at least %d", g.name, g.nextOffset-g.prevEnd, cacheLine)
		}
	}
}

// TestBytesPerEntry checks the memory cost the docs state: 128/7 ≈ 18.3 bytes per entry, 8 more with a TTL
// (one timestamp per entry), once each shard holds a few hundred keys.
func TestBytesPerEntry(t *testing.T) {
	for _, capacity := range []int{DefaultCapacity, 1 << 20} {
		for _, ttl := range []bool{false, true} {
			opts := Options{Capacity: capacity}
			want := 18.5
			if ttl {
				opts.TTL = 1
				want += 8
			}
			c := New(opts)
			bytes := 0
			for i := range c.shards {
				bytes += len(c.shards[i].buckets)*int(unsafe.Sizeof(bucket{})) + len(c.shards[i].at)*int(unsafe.Sizeof(atomic.Int64{}))
			}
			if per := float64(bytes) / float64(capacity); per > want {
				t.Errorf("capacity %d, ttl %v: %.2f bytes per entry, want at most %.1f", capacity, ttl, per, want)
			}
		}
	}
}

// TestEarlyEvictionRate measures the evictions that the set-associativity causes before the cache is full,
// against the figures in the Options.Capacity doc. They follow from the hashing alone: with n keys spread
// uniformly over buckets of seven, a bucket receives Poisson(7·load) keys and evicts its excess.
func TestEarlyEvictionRate(t *testing.T) {
	const capacity = 1 << 16
	for _, tc := range []struct {
		load, documentedPercent float64
	}{{0.5, 1.2}, {0.75, 6}, {1, 15}} {
		n := int(tc.load * capacity)
		c := New(Options{Capacity: capacity})
		for i := range n {
			c.Admit(KindAssignment, "f", fmt.Sprint("s", i), "a", "A", accept)
		}
		got := 100 * float64(c.Stats().Evictions) / float64(n)
		if poisson := 100 * poissonExcess(7*tc.load, 7) / (7 * tc.load); math.Abs(got-poisson) > 0.5 {
			t.Errorf("load %.2f: %.2f %% evicted, the uniform-hashing model predicts %.2f %%", tc.load, got, poisson)
		}
		if math.Abs(got-tc.documentedPercent) > 0.5 {
			t.Errorf("load %.2f: %.2f %% evicted, the doc says about %.1f %%", tc.load, got, tc.documentedPercent)
		}
	}
}

// poissonExcess is E[max(0, X-w)] for X ~ Poisson(lambda).
func poissonExcess(lambda float64, w int) float64 {
	p, sum := math.Exp(-lambda), 0.0
	for k := 1; k < 100; k++ {
		p *= lambda / float64(k)
		if k > w {
			sum += float64(k-w) * p
		}
	}
	return sum
}
