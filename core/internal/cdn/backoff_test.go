package cdn

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// expectedBase is the documented base of retry n (1-based): initial×1.5^(n-1), capped at limit.
func expectedBase(initial, limit time.Duration, n int) time.Duration {
	b := float64(initial) * math.Pow(1.5, float64(n-1))
	if b >= float64(limit) {
		return limit
	}
	return time.Duration(b)
}

func TestRetryBackoffStaysWithinDocumentedBounds(t *testing.T) {
	const initial, limit = time.Second, 20 * time.Second
	rng := rand.New(rand.NewPCG(7, 11))
	for episode := range 50 {
		b := newRetryBackoff(initial, limit, rng.Float64)
		for n := 1; n <= 30; n++ {
			base := expectedBase(initial, limit, n)
			// ±50% around the base; ±2 ns for float rounding of the base and the wait.
			lo, hi := base/2-2, min(base*3/2+2, limit)
			if w := b.next(); w < lo || w > hi {
				t.Fatalf("episode %d, retry %d: wait %v, want in [%v, %v] (base %v)", episode, n, w, lo, hi, base)
			}
		}
	}
}

func TestRetryBackoffUsesTheFullRandomizationRange(t *testing.T) {
	const initial, limit = time.Second, time.Minute
	lowest := func() float64 { return 0 }
	highest := func() float64 { return math.Nextafter(1, 0) } // the largest value Rand may return

	low, high := newRetryBackoff(initial, limit, lowest), newRetryBackoff(initial, limit, highest)
	for n := 1; n <= 20; n++ {
		base := expectedBase(initial, limit, n)
		if w := low.next(); w < base/2-2 || w > base/2+2 {
			t.Errorf("retry %d with rand 0: wait %v, want base/2 = %v", n, w, base/2)
		}
		want := min(base*3/2, limit)
		if w := high.next(); w < want-2*time.Microsecond || w > want {
			t.Errorf("retry %d with rand →1: wait %v, want just under min(1.5×base, limit) = %v", n, w, want)
		}
	}

	// A seeded source spreads first waits over [0.5 s, 1.5 s): each quarter expects 250 of 1000
	// (sd ≈ 14); 180..320 is 5 sigma either way, and the seed makes the outcome fixed anyway.
	rng := rand.New(rand.NewPCG(3, 5))
	quarters := make([]int, 4)
	for range 1000 {
		w := newRetryBackoff(initial, limit, rng.Float64).next()
		quarters[min(int(float64(w-initial/2)/float64(initial)*4), 3)]++
	}
	for i, c := range quarters {
		if c < 180 || c > 320 {
			t.Errorf("quarter %d of [0.5s, 1.5s) holds %d of 1000 first waits: %v", i, c, quarters)
		}
	}
}

func TestRetryBackoffClampsItsInputs(t *testing.T) {
	mid := func() float64 { return 0.5 } // no randomization: the wait is the base
	for _, tc := range []struct {
		name           string
		initial, limit time.Duration
		first          time.Duration
	}{
		{"initial above limit", time.Hour, time.Second, time.Second},
		{"zero initial", 0, time.Second, time.Nanosecond},
		{"negative initial", -time.Second, time.Second, time.Nanosecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := newRetryBackoff(tc.initial, tc.limit, mid).next(); w != tc.first {
				t.Errorf("first wait %v, want %v", w, tc.first)
			}
		})
	}

	// A nanosecond base still grows (1.5× truncates to 1 ns) and reaches the limit.
	b := newRetryBackoff(time.Nanosecond, time.Microsecond, mid)
	prev := time.Duration(0)
	for n := 1; ; n++ {
		w := b.next()
		if w <= prev && w != time.Microsecond {
			t.Fatalf("retry %d: wait %v did not grow from %v", n, w, prev)
		}
		if w == time.Microsecond {
			break
		}
		if n > 100 {
			t.Fatalf("a 1 ns base had not reached the 1 µs limit after %d retries (wait %v)", n, w)
		}
		prev = w
	}
}
