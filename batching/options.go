package batching

import (
	"log/slog"
	"time"

	"github.com/eppokit/eppokit/dedupe"
)

// DefaultBatchSize is the most events per batch when [WithBatchSize] is not given. It is exported because
// sinks size their own buffers and client-library batches from it.
const DefaultBatchSize = 512

// Defaults applied when an option is not given or is given an invalid value; each option's doc states its
// default.
const (
	defaultQueueSize         = 8192
	defaultBatchBytes        = 512 << 10
	defaultLinger            = time.Second
	defaultMaxRetries        = 10
	defaultMaxElapsedTime    = time.Minute
	defaultMemoryLimit       = 64 << 20
	defaultExportConcurrency = 1
	defaultExportTimeout     = 10 * time.Second
	defaultCloseTimeout      = 5 * time.Second
	defaultLogInterval       = 10 * time.Second
)

// DropHook receives every drop. Hooks run on a goroutine of their own, one call at a time, in the order the
// drops happened: never on the goroutine that logged the event, and never on the batcher, an exporter or
// Close, so a slow hook delays only later hook calls. Hooks should still be fast: while they fall more than
// 1,024 calls behind, further drops are summed per reason into one later call without Events. Close waits
// for queued hook calls until its deadline; calls still queued or running then finish after Close returns.
// A panic in a hook is recovered and counted in [Stats.HookPanics].
type DropHook func(Drop)

// ErrorHook receives every failed export attempt, on the hook goroutine described at [DropHook]. While
// hooks are more than 1,024 calls behind, further export errors are counted in a log line instead.
type ErrorHook func(ExportError)

// Drop describes events the pipeline gave up on.
type Drop struct {
	Reason DropReason
	Count  int
	// BatchID is set when the drop concerns (part of) a batch.
	BatchID string
	// Events are the dropped events when the pipeline still held them; nil for drops at intake (queue_full,
	// closed, memory_limit), which are reported in aggregate, and nil when more than 8 earlier drops with
	// Events are still waiting for the hook (each keeps its batch's memory). Hooks must not keep the slice.
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
		queueSize:     defaultQueueSize,
		batchSize:     DefaultBatchSize,
		batchBytes:    defaultBatchBytes,
		linger:        defaultLinger,
		maxRetries:    defaultMaxRetries,
		maxElapsed:    defaultMaxElapsedTime,
		memoryLimit:   defaultMemoryLimit,
		concurrency:   defaultExportConcurrency,
		exportTimeout: defaultExportTimeout,
		closeTimeout:  defaultCloseTimeout,
		logInterval:   defaultLogInterval,
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
// new events are dropped (reason queue_full) unless [WithBlocking] is set. Default 8192;
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
// larger event still goes alone. Default 512 KiB; values below 1 keep the default.
func WithBatchBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.batchBytes = n
		}
	})
}

// WithLinger sets how long a non-empty, non-full batch waits for more events before it is sent. Default
// 1s; zero or negative keeps the default.
func WithLinger(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.linger = d
		}
	})
}

// WithMaxRetries sets how many times a batch is retried after its first attempt. Default
// 10; zero disables retries; negative values keep the default.
func WithMaxRetries(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.maxRetries = n
		}
	})
}

// WithMaxElapsedTime sets the retry budget of a batch, from its first attempt: no attempt starts after it
// (events still failing are dropped as retries_exhausted). Default 1 minute; zero or negative
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

// WithMemoryLimit caps the bytes the processor keeps on the heap: the queue's slots (queue size × 384
// bytes, allocated by New), the batch being built, batches waiting for export and in flight (each by the storage it holds, sized to its
// events) with their retry copies, and what their events point to (strings, attribute maps, IDs, encoded
// payloads; map sizes are estimated from their entries). [Stats.MemoryBytes] reports the same count.
//
// When an event arrives at the cap, the oldest batches waiting for an exporter are dropped (reason
// memory_limit) to make room for it; the event itself is refused (same reason) only when dropping every
// waiting batch would not make room, i.e. when the queue and batches in flight alone fill the cap. Between
// an event's arrival and the batcher dropping the waiting batches for it, the count may pass the cap by
// at most the bytes of those waiting batches. Default 64 MiB; values below 1 keep the default.
func WithMemoryLimit(bytes int64) Option {
	return optionFunc(func(c *config) {
		if bytes >= 1 {
			c.memoryLimit = bytes
		}
	})
}

// WithBlocking makes LogAssignment and LogBanditAction wait for room in the queue instead of dropping, and
// makes the batcher wait for memory instead of dropping the oldest batch (so memory_limit never drops). Meant for batch jobs; never use it
// on a request path. Close unblocks waiting callers (their events are counted as closed). Default off.
func WithBlocking() Option {
	return optionFunc(func(c *config) { c.blocking = true })
}

// WithExportConcurrency sets how many goroutines call [Sink.Export]; above one, Export is called
// concurrently. Default 1; values below 1 keep the default.
func WithExportConcurrency(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.concurrency = n
		}
	})
}

// WithExportTimeout bounds each Export attempt through its context. Default 10s; zero or
// negative keeps the default.
func WithExportTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.exportTimeout = d
		}
	})
}

// WithCloseTimeout sets the deadline Close uses when its context has none. Default 5s;
// zero or negative keeps the default.
func WithCloseTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.closeTimeout = d
		}
	})
}

// WithDedupe puts a [dedupe.Cache] built from opts in front of the queue: duplicates are suppressed (counted
// in [Stats.Deduplicated]) and a key is marked only when its event was accepted into the queue. When an
// accepted event is later dropped, for any reason, its exposure is removed from the cache if the cache
// still holds that value for it (dedupe.Cache.Forget), so the next identical exposure is logged again; a
// newer value logged meanwhile stays marked. Default: no dedupe.
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
// are summed into the next. Default 10s; zero or negative keeps the default.
func WithLogInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.logInterval = d
		}
	})
}

// WithDropHook registers h to be told about every drop, as described at [DropHook]. Default none.
func WithDropHook(h DropHook) Option {
	return optionFunc(func(c *config) { c.onDrop = h })
}

// WithErrorHook registers h to be told about every failed export attempt, as described at [ErrorHook].
// Default none.
func WithErrorHook(h ErrorHook) Option {
	return optionFunc(func(c *config) { c.onError = h })
}
