package segment

import (
	"context"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Sink delivers events to Segment as Track calls through analytics-go/v3. See the package documentation
// for what it guarantees. A Sink is safe for concurrent use.
type Sink struct{ s *trackexport.Sink }

// NewSink starts an analytics-go/v3 client configured from cfg and returns the sink that drives it. An
// unusable cfg is an error wrapping [ErrInvalidConfig].
func NewSink(cfg Config) (*Sink, error) {
	s, err := trackexport.NewSink(cfg.settings(), library(cfg))
	if err != nil {
		return nil, err
	}
	return &Sink{s}, nil
}

// library wires analytics-go/v3 into the shared exporter: cfg's own fields, the message type and its Track call.
func library(cfg Config) trackexport.Library[analytics.Message] {
	return trackexport.Library[analytics.Message]{
		Start: func(p trackexport.Parts, cb trackexport.Callback[analytics.Message]) (trackexport.LibraryClient[analytics.Message], error) {
			return analytics.NewWithConfig(cfg.WriteKey, analytics.Config{Endpoint: cfg.Endpoint,
				Interval: p.Settings.Interval, BatchSize: p.Settings.BatchSize, Transport: p.Transport,
				Logger: p.Logger, Callback: cb, RetryAfter: trackexport.NoWait})
		},
		Track: func(m trackexport.Message) analytics.Message {
			return analytics.Track{MessageId: m.ID, UserId: m.UserID, Event: m.Event, Timestamp: m.Timestamp,
				Properties: m.Properties}
		},
		ID: func(m analytics.Message) string {
			return trackexport.TrackID(m, func(t *analytics.Track) string { return t.MessageId })
		},
	}
}

// Export sends b's events and returns when Segment has confirmed or refused each of them, or when ctx
// ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.s.Export(ctx, b) }

// Close flushes and stops the library. It returns when ctx ends even if a request hangs, after aborting
// the requests still in flight. It is idempotent; Export after Close fails with [ErrClosed].
func (s *Sink) Close(ctx context.Context) error { return s.s.Close(ctx) }

// Late returns how many answers the library gave after the Export that sent the event had stopped
// waiting: late deliveries are events Segment has although the pipeline counted them as failed (they
// keep their messageId, so a resend is deduplicated by Segment).
func (s *Sink) Late() (delivered, failed uint64) { return s.s.Late() }

// Requests returns how many HTTP requests reached Segment, and how many of the library's own retries
// were answered without the network.
func (s *Sink) Requests() (sent, replayed uint64) { return s.s.Requests() }
