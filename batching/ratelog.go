package batching

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// rateLog writes at most one line per key and interval; occurrences in between are summed into the next
// line ("count") instead of being forgotten, unlike a warn-once.
type rateLog struct {
	logger   *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	keys     map[string]*rateKey
}

type rateKey struct {
	last       time.Time
	suppressed int
}

func (r *rateLog) init(l *slog.Logger, interval time.Duration) {
	r.logger, r.interval, r.keys = l, interval, make(map[string]*rateKey)
}

// warn logs msg at WARN for key with count occurrences, unless a line for key went out less than interval
// ago.
func (r *rateLog) warn(key, msg string, count int, attrs ...any) {
	r.log(slog.LevelWarn, key, msg, count, attrs...)
}

// error is warn at ERROR level.
func (r *rateLog) error(key, msg string, count int, attrs ...any) {
	r.log(slog.LevelError, key, msg, count, attrs...)
}

func (r *rateLog) log(level slog.Level, key, msg string, count int, attrs ...any) {
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
	r.logger.Log(context.Background(), level, msg, append(attrs, slog.Int("count", count))...)
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
		r.logger.Warn("exposure pipeline events not logged individually", slog.String("kind", key), slog.Int("count", n))
	}
}
