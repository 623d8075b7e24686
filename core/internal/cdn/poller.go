package cdn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// DefaultInitialBackoff is the first retry wait when [PollerOptions.InitialBackoff] is zero.
const DefaultInitialBackoff = time.Second

// PollerOptions configures a [Poller]. Interval is required; the other fields have usable zero values.
type PollerOptions struct {
	// Interval is the time between the end of one successful step and the start of the next, before
	// jitter. It must be positive: a poller started without one ends at once with a permanent error.
	Interval time.Duration
	// Jitter is the most that is subtracted, uniformly at random, from every wait between successful
	// steps: each wait lies in (Interval-Jitter, Interval]. Subtracting (as the Rust core does)
	// keeps Interval an upper bound on configuration staleness while still spreading a fleet of
	// pollers that started together. Default Interval/10; negative disables jitter; values above
	// Interval/2 are clamped to Interval/2 so a wait never collapses to zero.
	Jitter time.Duration
	// InitialBackoff is the base of the first retry wait after a failed step; default
	// [DefaultInitialBackoff], clamped to Interval. The base grows 1.5× per consecutive failure up to
	// Interval; each wait is its base randomized by ±50% and never exceeds Interval. A success
	// restarts the schedule from InitialBackoff. Values <= 0 select the default. A failure episode
	// never gives up on its own: only Stop, the context or a permanent error ends polling.
	InitialBackoff time.Duration
	// Logger receives retry warnings, the recovery notice and the final error when polling stops on a
	// permanent error; default slog.Default().
	Logger *slog.Logger
	// Rand returns uniform values in [0, 1) for jitter and retry randomization; default
	// math/rand/v2.Float64. It is called only from the poller's goroutine, so a per-poller
	// *rand.Rand needs no locking.
	Rand func() float64

	// after, when set, replaces time.NewTimer so tests can observe and drive waits.
	after func(d time.Duration) (c <-chan time.Time, stop func() bool)
}

// Poller calls a step function on one goroutine: once at start, then after
// every jittered Interval. A failed step is retried with exponential backoff; a step error that
// matches [ErrUnauthorized] or was wrapped with [Permanent] stops polling and is logged once as an
// error. Steps never run concurrently with each other.
type Poller struct {
	step   func(context.Context) error
	opts   PollerOptions
	logger *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	err    error // permanent error that ended polling; written before done is closed
}

// StartPoller starts polling on a new goroutine and returns at once. The step receives a context
// derived from ctx that is cancelled when ctx ends or [Poller.Stop] is called, so a step blocked in
// I/O is abandoned promptly; the step should bound its own work (the [Fetcher] applies its request
// timeout).
//
// A nil step is a programming error; the poller then ends at once with a permanent error.
func StartPoller(ctx context.Context, step func(context.Context) error, opts PollerOptions) *Poller {
	switch {
	case step == nil:
		step = func(context.Context) error { return Permanent(errors.New("StartPoller called with a nil step")) }
	case opts.Interval <= 0:
		step = func(context.Context) error {
			return Permanent(fmt.Errorf("StartPoller called with a non-positive interval (%v)", opts.Interval))
		}
		opts.Interval = time.Hour // only so the remaining options stay well-formed
	}
	switch {
	case opts.Jitter == 0:
		opts.Jitter = opts.Interval / 10
	case opts.Jitter < 0:
		opts.Jitter = 0
	case opts.Jitter > opts.Interval/2:
		opts.Jitter = opts.Interval / 2
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = DefaultInitialBackoff
	}
	if opts.InitialBackoff > opts.Interval {
		opts.InitialBackoff = opts.Interval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.after == nil {
		opts.after = func(d time.Duration) (<-chan time.Time, func() bool) {
			t := time.NewTimer(d)
			return t.C, t.Stop
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Poller{step: step, opts: opts, logger: opts.Logger, cancel: cancel, done: make(chan struct{})}
	go p.run(ctx)
	return p
}

// Stop cancels polling, abandoning a step in progress through its context, and waits until the
// polling goroutine has exited or ctx ends, in which case it returns ctx's error. It is idempotent
// and safe to call concurrently; it returns nil even if polling had already ended on a permanent
// error (see [Poller.Err]).
func (p *Poller) Stop(ctx context.Context) error {
	p.cancel()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopping poller: %w", ctx.Err())
	}
}

// Done returns a channel that is closed when the polling goroutine has exited: after Stop, after
// the context given to [StartPoller] ends, or after a permanent step error.
func (p *Poller) Done() <-chan struct{} { return p.done }

// Err returns the permanent step error that ended polling, or nil if polling is still running or
// was stopped by Stop or its context.
func (p *Poller) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

func (p *Poller) run(ctx context.Context) {
	defer close(p.done)
	defer p.cancel() // release the context's resources when polling ends on its own

	var retry *retryBackoff // non-nil during a failure episode
	failures := 0
	for {
		err := p.callStep(ctx)
		if ctx.Err() != nil {
			return // stopping: the step's outcome no longer matters
		}
		var wait time.Duration
		switch {
		case err == nil:
			if failures > 0 {
				p.logger.LogAttrs(ctx, slog.LevelInfo, "cdn: polling recovered", slog.Int("failures", failures))
			}
			failures, retry = 0, nil
			wait = p.jittered()
		case IsPermanent(err):
			p.err = err
			p.logger.LogAttrs(ctx, slog.LevelError, "cdn: polling stopped: permanent error; configuration will no longer refresh",
				slog.String("error", Redact(err.Error())), slog.Bool("unauthorized", errors.Is(err, ErrUnauthorized)))
			return
		default:
			if retry == nil {
				retry = newRetryBackoff(p.opts.InitialBackoff, p.opts.Interval, p.opts.Rand)
			}
			failures++
			wait = retry.next()
			p.logger.LogAttrs(ctx, slog.LevelWarn, "cdn: poll failed; retrying",
				slog.String("error", Redact(err.Error())), slog.Int("failures", failures), slog.Duration("retryIn", wait))
		}
		if !p.sleep(ctx, wait) {
			return
		}
	}
}

// callStep runs the step, turning a panic into an ordinary (retried) error so one bad
// configuration cannot kill the process from a background goroutine.
func (p *Poller) callStep(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("poll step panicked: %v", r)
		}
	}()
	return p.step(ctx)
}

// jittered returns Interval minus a uniform random amount in [0, Jitter).
func (p *Poller) jittered() time.Duration {
	if p.opts.Jitter <= 0 {
		return p.opts.Interval
	}
	return p.opts.Interval - time.Duration(p.opts.Rand()*float64(p.opts.Jitter))
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func (p *Poller) sleep(ctx context.Context, d time.Duration) bool {
	c, stop := p.opts.after(d)
	select {
	case <-c:
		return true
	case <-ctx.Done():
		stop()
		return false
	}
}
