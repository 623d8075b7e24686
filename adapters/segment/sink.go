package segment

import (
	"context"
	"fmt"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// libraryAttempts is how many times analytics-go/v3 sends one batch before it reports a failure (the
// constant in its client.send).
const libraryAttempts = 10

// Sink delivers events to Segment as Track calls through analytics-go/v3. See the package documentation
// for what it guarantees. A Sink is safe for concurrent use.
type Sink struct {
	exp       *trackexport.Exporter
	transport *trackexport.Transport
}

var _ batching.Sink = (*Sink)(nil)

// NewSink starts an analytics-go/v3 client configured from cfg and returns the sink that drives it.
func NewSink(cfg Config) (*Sink, error) {
	if cfg.WriteKey == "" {
		return nil, ErrNoWriteKey
	}
	parts := trackexport.NewParts(trackexport.Settings{
		Adapter:        "segment",
		Names:          trackexport.Names{Assignment: cfg.AssignmentEvent, Bandit: cfg.BanditEvent},
		BatchSize:      cfg.BatchSize,
		Interval:       cfg.Interval,
		RequestTimeout: cfg.RequestTimeout,
		Transport:      cfg.Transport,
		Logger:         cfg.Logger,
		Attempts:       libraryAttempts,
		Transient:      []error{analytics.ErrTooManyRequests},
	}, DefaultBatchSize)
	client, err := analytics.NewWithConfig(cfg.WriteKey, analytics.Config{
		Endpoint:   cfg.Endpoint,
		Interval:   parts.Settings.Interval,
		BatchSize:  parts.Settings.BatchSize,
		Transport:  parts.Transport,
		Logger:     parts.Logger,
		Callback:   trackexport.Callback[analytics.Message]{Exporter: parts.Exporter, ID: messageID},
		RetryAfter: trackexport.NoWait,
	})
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	parts.Exporter.SetClient(libraryClient{client})
	return &Sink{exp: parts.Exporter, transport: parts.Transport}, nil
}

// Export sends b's events and returns when Segment has confirmed or refused each of them, or when ctx
// ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.exp.Export(ctx, b) }

// Close flushes and stops the library. It returns when ctx ends even if a request hangs, after aborting
// the requests still in flight. It is idempotent.
func (s *Sink) Close(ctx context.Context) error { return s.exp.Close(ctx) }

// Late returns how many answers the library gave after the Export that sent the event had stopped
// waiting: late deliveries are events Segment has although the pipeline counted them as failed (they
// keep their messageId, so a resend is deduplicated by Segment).
func (s *Sink) Late() (delivered, failed uint64) { return s.exp.Late() }

// Requests returns how many HTTP requests reached the network, and how many of the library's own
// retries were answered without it.
func (s *Sink) Requests() (sent, replayed uint64) {
	return s.transport.Requests(), s.transport.Replays()
}

// libraryClient adapts the library client to trackexport.Client.
type libraryClient struct{ c analytics.Client }

func (c libraryClient) Enqueue(m trackexport.Message) error {
	return c.c.Enqueue(analytics.Track{
		MessageId:  m.ID,
		UserId:     m.UserID,
		Event:      m.Event,
		Timestamp:  m.Timestamp,
		Properties: m.Properties,
	})
}

func (c libraryClient) Close() error { return c.c.Close() }

// messageID is the messageId of a message the library hands back to its Callback.
func messageID(m analytics.Message) string {
	switch t := m.(type) {
	case analytics.Track:
		return t.MessageId
	case *analytics.Track:
		return t.MessageId
	}
	return ""
}
