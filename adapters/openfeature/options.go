package openfeature

import (
	"context"
	"time"
)

// Defaults for the options.
const (
	DefaultName            = "eppokit"
	DefaultStaleAfter      = 3
	DefaultHealthInterval  = time.Second
	DefaultShutdownTimeout = 10 * time.Second
	// eventBuffer is the capacity of the event channel; config changes come at most once per poll.
	eventBuffer = 64
)

// Closer is what WithOwnedClient closes after the client, such as a *batching.Processor or a
// *batching.Fanout.
type Closer interface {
	Close(ctx context.Context) error
}

// Option configures a Provider.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	name            string
	owned           bool
	pipelines       []Closer
	staleAfter      int
	healthInterval  time.Duration
	shutdownTimeout time.Duration
}

func defaultOptions() options {
	return options{
		name:            DefaultName,
		staleAfter:      DefaultStaleAfter,
		healthInterval:  DefaultHealthInterval,
		shutdownTimeout: DefaultShutdownTimeout,
	}
}

// WithOwnedClient hands the client to the provider: shutdown closes the client (stopping its polling)
// and then each pipeline in order, flushing the exposures they still hold. Pass the pipeline configured
// as the client's AssignmentLogger.
func WithOwnedClient(pipelines ...Closer) Option {
	return optionFunc(func(o *options) {
		o.owned = true
		o.pipelines = append(o.pipelines, pipelines...)
	})
}

// WithName sets the provider name OpenFeature reports (default DefaultName).
func WithName(name string) Option {
	return optionFunc(func(o *options) {
		if name != "" {
			o.name = name
		}
	})
}

// WithStaleAfter sets how many CDN fetch rounds must fail in a row before the provider reports
// PROVIDER_STALE (default DefaultStaleAfter; values below 1 mean 1).
func WithStaleAfter(failures int) Option {
	return optionFunc(func(o *options) { o.staleAfter = max(failures, 1) })
}

// WithHealthInterval sets how often the provider reads the client's polling statistics to notice
// failures and recovery (default DefaultHealthInterval). Non-positive values keep the default.
func WithHealthInterval(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.healthInterval = d
		}
	})
}

// WithShutdownTimeout bounds Shutdown, which has no context of its own (default
// DefaultShutdownTimeout). ShutdownWithContext uses its ctx instead. Non-positive values keep the default.
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.shutdownTimeout = d
		}
	})
}
