package segment

import (
	"context"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// NewLogger returns a ready pipeline delivering to a [Sink] built from cfg: its LogAssignment and
// LogBanditAction never block and never do I/O, and its Flush, Close and Stats account for every event.
//
// The pipeline is batching's defaults except for the name "segment", 4 exports at a time (an Export waits
// a full round trip for Segment's confirmation) and batches of [DefaultBatchSize]; opts apply after
// them. Keep cfg.BatchSize at or above the pipeline's batch size so that each pipeline batch leaves in
// one request.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	return trackexport.NewLogger(NewSink, cfg, "segment", DefaultBatchSize, opts)
}

// Sink delivers events to Segment as Track calls through analytics-go/v3. See the package documentation
// for what it guarantees. A Sink is safe for concurrent use.
type Sink struct{ s *trackexport.Sink }

// NewSink starts an analytics-go/v3 client configured from cfg and returns the sink that drives it. An
// unusable cfg is an error wrapping [ErrInvalidConfig].
func NewSink(cfg Config) (*Sink, error) {
	s, err := trackexport.NewSink(trackexport.Settings{
		Adapter: "segment", Invalid: ErrInvalidConfig, WriteKey: cfg.WriteKey,
		URLField: "Endpoint", URL: cfg.Endpoint,
		Names:     trackexport.Names{Assignment: cfg.AssignmentEvent, Bandit: cfg.BanditEvent},
		BatchSize: cfg.BatchSize, DefaultBatchSize: DefaultBatchSize,
		Interval: cfg.Interval, RequestTimeout: cfg.RequestTimeout, HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
	}, library(cfg))
	if err != nil {
		return nil, err
	}
	return &Sink{s}, nil
}

// library is analytics-go/v3 as the shared exporter drives it.
func library(cfg Config) trackexport.Library[analytics.Message] {
	return trackexport.Library[analytics.Message]{
		Track: func(m trackexport.Message) analytics.Message {
			return analytics.Track{MessageId: m.ID, UserId: m.UserID, Event: m.Event, Timestamp: m.Timestamp,
				Properties: m.Properties}
		},
		ID: func(m analytics.Message) string {
			return trackexport.TrackID(m, func(t *analytics.Track) string { return t.MessageId })
		},
		Start: func(p trackexport.Parts, cb trackexport.Callback[analytics.Message]) (trackexport.LibraryClient[analytics.Message], error) {
			return analytics.NewWithConfig(cfg.WriteKey, analytics.Config{Endpoint: cfg.Endpoint,
				Interval: p.Settings.Interval, BatchSize: p.Settings.BatchSize, Transport: p.Transport,
				Logger: p.Logger, Callback: cb, RetryAfter: trackexport.NoWait})
		},
		// The library sends one request body ten times (the constant in its client.send) before it
		// reports a failure; its "too many requests in flight" is worth retrying.
		Attempts: 10, Transient: []error{analytics.ErrTooManyRequests},
	}
}

// Export sends b's events and returns when Segment has confirmed or refused each of them, or when ctx
// ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.s.Export(ctx, b) }

// Close flushes and stops the library. It returns when ctx ends even if a request hangs, after aborting
// the requests still in flight. It is idempotent; Export after Close fails with [ErrClosed].
func (s *Sink) Close(ctx context.Context) error { return s.s.Close(ctx) }
