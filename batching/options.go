package batching

import (
	"log/slog"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

// Defaults applied when an option is not given or is given an invalid value.
const (
	DefaultQueueSize         = 8192
	DefaultBatchSize         = 512
	DefaultBatchBytes        = 512 << 10
	DefaultLinger            = time.Second
	DefaultMaxRetries        = 10
	DefaultMaxElapsedTime    = time.Minute
	DefaultMemoryLimit       = 64 << 20
	DefaultExportConcurrency = 1
	DefaultExportTimeout     = 10 * time.Second
	DefaultCloseTimeout      = 5 * time.Second
	DefaultLogInterval       = 10 * time.Second
)

// DropHook receives every drop. It runs on a pipeline goroutine, never on the goroutine that logged the
// event; a panic in it is recovered and counted in [Stats.HookPanics].
type DropHook func(Drop)

// ErrorHook receives every failed export attempt, on a pipeline goroutine, with the same panic protection
// as [DropHook].
type ErrorHook func(ExportError)

// Drop describes events the pipeline gave up on.
type Drop struct {
	Reason DropReason
	Count  int
	// BatchID is set when the drop concerns (part of) a batch.
	BatchID string
	// Events are the dropped events when the pipeline still held them; nil for drops at intake (queue_full,
	// closed, memory_limit), which are reported in aggregate. Hooks must not keep the slice.
	Events []Event
	// Err is the error that caused the drop, if any.
	Err error
}

// ExportError describes one failed [Sink.Export] attempt.
type ExportError struct {
	BatchID string
	Attempt int
	Events  int
	Err     error
	// Retrying tells whether the pipeline will try the failed events again.
	Retrying bool
}

// Option configures a [Processor]. Options are created by the With* functions of this package.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	name          string
	queueSize     int
	batchSize     int
	batchBytes    int
	linger        time.Duration
	maxRetries    int
	maxElapsed    time.Duration
	memoryLimit   int64
	blocking      bool
	concurrency   int
	exportTimeout time.Duration
	closeTimeout  time.Duration
	logInterval   time.Duration
	dedupe        *dedupe.Options
	logger        *slog.Logger
	onDrop        DropHook
	onError       ErrorHook
	initialRetry  time.Duration
	maxRetryWait  time.Duration
}

func newConfig(opts []Option) config {
	c := config{
		name:          "sink",
		queueSize:     DefaultQueueSize,
		batchSize:     DefaultBatchSize,
		batchBytes:    DefaultBatchBytes,
		linger:        DefaultLinger,
		maxRetries:    DefaultMaxRetries,
		maxElapsed:    DefaultMaxElapsedTime,
		memoryLimit:   DefaultMemoryLimit,
		concurrency:   DefaultExportConcurrency,
		exportTimeout: DefaultExportTimeout,
		closeTimeout:  DefaultCloseTimeout,
		logInterval:   DefaultLogInterval,
		initialRetry:  100 * time.Millisecond,
		maxRetryWait:  10 * time.Second,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.batchSize = min(c.batchSize, c.queueSize)
	return c
}

// WithName names the processor (usually after its adapter) in logs and [Stats.Name]. Default "sink"; an
// empty name keeps the default.
func WithName(name string) Option {
	return optionFunc(func(c *config) {
		if name != "" {
			c.name = name
		}
	})
}

// WithQueueSize sets how many events wait between the logging goroutines and the batcher. When it is full
// new events are dropped (reason queue_full) unless [WithBlocking] is set. Default [DefaultQueueSize];
// values below 1 keep the default. The batch size is clamped to it.
func WithQueueSize(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.queueSize = n
		}
	})
}

// WithBatchSize sets the most events per batch; a full batch is sent at once. Default [DefaultBatchSize];
// values below 1 keep the default; values above the queue size are clamped to it.
func WithBatchSize(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.batchSize = n
		}
	})
}

// WithBatchBytes sets the most bytes per batch, counted on the sink's [Encoder] output (or an estimate of the
// event size when the sink has no Encoder). A batch is sent before it would grow past the limit; a single
// larger event still goes alone. Default [DefaultBatchBytes]; values below 1 keep the default.
func WithBatchBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.batchBytes = n
		}
	})
}

// WithLinger sets how long a non-empty, non-full batch waits for more events before it is sent. Default
// [DefaultLinger]; zero or negative keeps the default.
func WithLinger(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.linger = d
		}
	})
}

// WithMaxRetries sets how many times a batch is retried after its first attempt. Default
// [DefaultMaxRetries]; zero disables retries; negative values keep the default.
func WithMaxRetries(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.maxRetries = n
		}
	})
}

// WithMaxElapsedTime sets the retry budget of a batch, from its first attempt: no attempt starts after it
// (events still failing are dropped as retries_exhausted). Default [DefaultMaxElapsedTime]; zero or negative
// keeps the default.
func WithMaxElapsedTime(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.maxElapsed = d
		}
	})
}

// WithRetryInterval sets the first backoff interval and the longest single wait between attempts
// (exponential with jitter in between; a Retry-After may ask for more, within the budget). Defaults 100ms and
// 10s; zero or negative values keep the defaults.
func WithRetryInterval(initial, maxWait time.Duration) Option {
	return optionFunc(func(c *config) {
		if initial > 0 {
			c.initialRetry = initial
		}
		if maxWait > 0 {
			c.maxRetryWait = maxWait
		}
	})
}

// WithMemoryLimit caps the estimated bytes held by the processor: events in the queue, in the batch being
// built, in batches waiting for export and in flight. When the cap is reached the oldest waiting batch is
// dropped (reason memory_limit) to make room for fresh events; if nothing waits (everything is in flight) new
// events are dropped at intake with the same reason. Default [DefaultMemoryLimit]; values below 1 keep the
// default.
func WithMemoryLimit(bytes int64) Option {
	return optionFunc(func(c *config) {
		if bytes >= 1 {
			c.memoryLimit = bytes
		}
	})
}

// WithBlocking makes LogAssignment and LogBanditAction wait for room in the queue instead of dropping, and
// makes the batcher wait for memory instead of dropping the oldest batch. Meant for batch jobs; never use it
// on a request path. Close unblocks waiting callers (their events are counted as closed). Default off.
func WithBlocking() Option {
	return optionFunc(func(c *config) { c.blocking = true })
}

// WithExportConcurrency sets how many goroutines call [Sink.Export]; above one, Export is called
// concurrently. Default [DefaultExportConcurrency]; values below 1 keep the default.
func WithExportConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.concurrency = n
		}
	})
}

// WithExportTimeout bounds each Export attempt through its context. Default [DefaultExportTimeout]; zero or
// negative keeps the default.
func WithExportTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.exportTimeout = d
		}
	})
}

// WithCloseTimeout sets the deadline Close uses when its context has none. Default [DefaultCloseTimeout];
// zero or negative keeps the default.
func WithCloseTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.closeTimeout = d
		}
	})
}

// WithDedupe puts a [dedupe.Cache] built from opts in front of the queue: duplicates are suppressed (counted
// in [Stats.Deduplicated]) and a key is marked only when its event was accepted into the queue. Default: no
// dedupe.
func WithDedupe(opts dedupe.Options) Option {
	return optionFunc(func(c *config) { c.dedupe = &opts })
}

// WithLogger sets the slog logger for the processor's own messages (drops, export errors), which are
// rate-limited and carry counts. Default slog.Default(); nil keeps the default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithLogInterval sets the shortest time between two log lines of the same kind; lines suppressed meanwhile
// are summed into the next. Default [DefaultLogInterval]; zero or negative keeps the default.
func WithLogInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.logInterval = d
		}
	})
}

// WithDropHook registers h to be told about every drop. Default none.
func WithDropHook(h DropHook) Option {
	return optionFunc(func(c *config) { c.onDrop = h })
}

// WithErrorHook registers h to be told about every failed export attempt. Default none.
func WithErrorHook(h ErrorHook) Option {
	return optionFunc(func(c *config) { c.onError = h })
}
