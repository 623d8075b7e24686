package segment

import (
	"context"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Sink delivers events to Segment as Track calls through analytics-go/v3. See the package documentation
// for what it guarantees. A Sink is safe for concurrent use.
type Sink struct{ s *trackexport.Sink }

// NewSink starts an analytics-go/v3 client configured from cfg and returns the sink that drives it. An
// unusable cfg is an error wrapping [ErrInvalidConfig].
func NewSink(cfg Config) (*Sink, error) {
	// Endpoint may be empty: the library then sends to DefaultEndpoint.
	url := trackexport.URL{Field: "Endpoint", Value: cfg.Endpoint}
	common := trackexport.Common(cfg.WriteKey, cfg.AssignmentEvent, cfg.BanditEvent, cfg.BatchSize, cfg.Interval,
		cfg.RequestTimeout, cfg.HTTPClient, cfg.Logger)
	return trackexport.NewSink(url, common, library(cfg), func(s *trackexport.Sink) *Sink { return &Sink{s} })
}

// Export sends b's events and returns when Segment has confirmed or refused each of them, or when ctx
// ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.s.Export(ctx, b) }

// Close flushes and stops the library. It returns when ctx ends even if a request hangs, after aborting
// the requests still in flight. It is idempotent; Export after Close fails with [ErrClosed].
func (s *Sink) Close(ctx context.Context) error { return s.s.Close(ctx) }
