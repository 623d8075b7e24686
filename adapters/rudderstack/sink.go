package rudderstack

import (
	"context"

	analytics "github.com/rudderlabs/analytics-go/v4"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// NewLogger returns a ready pipeline delivering to a [Sink] built from cfg: its LogAssignment and
// LogBanditAction never block and never do I/O, and its Flush, Close and Stats account for every event.
//
// The pipeline is batching's defaults except for the name "rudderstack", 4 exports at a time (an Export
// waits a full round trip for the data plane's confirmation) and batches of [DefaultBatchSize] (256,
// where batching's default is 512); opts apply after them. Keep cfg.BatchSize at or above the pipeline's
// batch size so that each pipeline batch leaves in one request.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	return trackexport.NewLogger(NewSink, cfg, "rudderstack", DefaultBatchSize, opts)
}

// Sink delivers events to a RudderStack data plane as Track calls through analytics-go/v4. See the
// package documentation for what it guarantees. A Sink is safe for concurrent use.
type Sink struct{ s *trackexport.Sink }

// NewSink starts an analytics-go/v4 client configured from cfg and returns the sink that drives it. An
// unusable cfg is an error wrapping [ErrInvalidConfig].
func NewSink(cfg Config) (*Sink, error) {
	s, err := trackexport.NewSink(trackexport.Settings{
		Adapter: "rudderstack", Invalid: ErrInvalidConfig, WriteKey: cfg.WriteKey,
		URLField: "DataPlaneURL", URL: cfg.DataPlaneURL, URLRequired: true,
		Names:     trackexport.Names{Assignment: cfg.AssignmentEvent, Bandit: cfg.BanditEvent},
		BatchSize: cfg.BatchSize, DefaultBatchSize: DefaultBatchSize,
		Interval: cfg.Interval, RequestTimeout: cfg.RequestTimeout, HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
	}, library(cfg))
	if err != nil {
		return nil, err
	}
	return &Sink{s}, nil
}

// library is analytics-go/v4 as the shared exporter drives it.
func library(cfg Config) trackexport.Library[analytics.Message] {
	return trackexport.Library[analytics.Message]{
		Track: func(m trackexport.Message) analytics.Message {
			return analytics.Track{MessageId: m.ID, UserId: m.UserID, Event: m.Event,
				OriginalTimestamp: m.Timestamp, Properties: m.Properties}
		},
		ID: func(m analytics.Message) string {
			return trackexport.TrackID(m, func(t *analytics.Track) string { return t.MessageId })
		},
		Start: func(p trackexport.Parts, cb trackexport.Callback[analytics.Message]) (trackexport.LibraryClient[analytics.Message], error) {
			return analytics.NewWithConfig(cfg.WriteKey, analytics.Config{
				DataPlaneUrl: cfg.DataPlaneURL, DisableGzip: cfg.DisableGzip,
				// No multi-node proxy: no RS-* routing headers, and no cluster-info lookups.
				NoProxySupport: true,
				Interval:       p.Settings.Interval, BatchSize: p.Settings.BatchSize, Transport: p.Transport,
				Logger: p.Logger, Callback: cb, RetryAfter: trackexport.NoWait})
		},
		// The library sends one request body ten times (the constant in its client.send) before it
		// reports a failure; its "too many requests in flight" is worth retrying.
		Attempts: 10, Transient: []error{analytics.ErrTooManyRequests},
	}
}

// Export sends b's events and returns when the data plane has confirmed or refused each of them, or when
// ctx ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.s.Export(ctx, b) }

// Close flushes and stops the library, returning when ctx ends even with a request hanging (the
// requests in flight are then aborted). Idempotent; Export after Close fails with [ErrClosed].
func (s *Sink) Close(ctx context.Context) error { return s.s.Close(ctx) }
