package rudderstack

import (
	"context"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Sink delivers events to a RudderStack data plane as Track calls through analytics-go/v4. See the
// package documentation for what it guarantees. A Sink is safe for concurrent use.
type Sink struct{ s *trackexport.Sink }

// NewSink starts an analytics-go/v4 client configured from cfg and returns the sink that drives it. An
// unusable cfg is an error wrapping [ErrInvalidConfig].
func NewSink(cfg Config) (*Sink, error) {
	// The library has no default data plane.
	url := trackexport.URL{Field: "DataPlaneURL", Value: cfg.DataPlaneURL, Required: true}
	common := trackexport.Common(cfg.WriteKey, cfg.AssignmentEvent, cfg.BanditEvent, cfg.BatchSize, cfg.Interval,
		cfg.RequestTimeout, cfg.HTTPClient, cfg.Logger)
	return trackexport.NewSink(url, common, library(cfg), func(s *trackexport.Sink) *Sink { return &Sink{s} })
}

// Export sends b's events and returns when the data plane has confirmed or refused each of them, or when
// ctx ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.s.Export(ctx, b) }

// Close flushes and stops the library, returning when ctx ends even with a request hanging (the
// requests in flight are then aborted). Idempotent; Export after Close fails with [ErrClosed].
func (s *Sink) Close(ctx context.Context) error { return s.s.Close(ctx) }
