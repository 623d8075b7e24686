package cdn

import "time"

// Retry schedule constants, as documented on [PollerOptions.InitialBackoff].
const (
	backoffMultiplier    = 1.5 // growth of the base wait per failure
	backoffRandomization = 0.5 // each wait lies in [base×(1-r), base×(1+r)), r = this factor
)

// retryBackoff is the retry schedule of one failure episode: wait n is the base
// initial×1.5^(n-1), capped at limit, randomized by ±50%, and never longer than limit. It never
// gives up; the poller decides when polling ends. Written here rather than imported so that
// core depends on the standard library only.
type retryBackoff struct {
	base  time.Duration // the next wait before randomization
	limit time.Duration
	rand  func() float64 // uniform in [0, 1)
}

// newRetryBackoff starts a schedule at initial (clamped to (0, limit]). limit must be positive.
func newRetryBackoff(initial, limit time.Duration, rand func() float64) *retryBackoff {
	return &retryBackoff{base: min(max(initial, 1), limit), limit: limit, rand: rand}
}

// next returns the wait before the next retry and advances the schedule.
func (b *retryBackoff) next() time.Duration {
	spread := backoffRandomization * float64(b.base)
	wait := time.Duration(float64(b.base) - spread + 2*spread*b.rand())
	if float64(b.base) >= float64(b.limit)/backoffMultiplier {
		b.base = b.limit // also keeps the multiplication below from overflowing
	} else {
		// At least 1 ns more, so that a nanosecond base still grows despite truncation.
		b.base = max(time.Duration(float64(b.base)*backoffMultiplier), b.base+1)
	}
	// The base is capped at limit, but randomization can still push a wait past it.
	return min(wait, b.limit)
}
