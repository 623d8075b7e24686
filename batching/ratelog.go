package batching

import (
	"log/slog"
	"sync"
	"time"
)

// rateLog writes at most one line per key and interval; occurrences in between are summed into the next
// line ("count") instead of being forgotten, unlike a warn-once.
type rateLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	keys     map[string]*rateKey
}

type rateKey struct {
	last       time.Time
	suppressed int
}

func (r *rateLog) init(l *slog.Logger, interval time.Duration) {
	r.log, r.interval, r.keys = l, interval, make(map[string]*rateKey)
}

// warn logs msg for key with count occurrences, unless a line for key went out less than interval ago.
func (r *rateLog) warn(key, msg string, count int, attrs ...any) {
	r.mu.Lock()
	k := r.keys[key]
	if k == nil {
		k = &rateKey{}
		r.keys[key] = k
	}
	now := time.Now()
	if !k.last.IsZero() && now.Sub(k.last) < r.interval {
		k.suppressed += count
		r.mu.Unlock()
		return
	}
	count += k.suppressed
	k.suppressed, k.last = 0, now
	r.mu.Unlock()
	r.log.Warn(msg, append(attrs, slog.Int("count", count))...)
}

// flush writes one line per key with occurrences still suppressed, so that no count is left unreported.
func (r *rateLog) flush() {
	r.mu.Lock()
	pending := make(map[string]int)
	for key, k := range r.keys {
		if k.suppressed > 0 {
			pending[key] = k.suppressed
			k.suppressed = 0
		}
	}
	r.mu.Unlock()
	for key, n := range pending {
		r.log.Warn("exposure pipeline events not logged individually", slog.String("kind", key), slog.Int("count", n))
	}
}
