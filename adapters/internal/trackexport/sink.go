package trackexport

import (
	"context"
	"fmt"

	"github.com/eppokit/eppokit/batching"
)

// Sink is the body of the adapters' Sink types: the exporter and the transport under the library.
type Sink struct {
	exp       *Exporter
	transport *Transport
}

// Library is what the exporter needs of an analytics client library whose message type is M, and of the
// adapter built on it.
type Library[M any] struct {
	// Adapter names the adapter in errors and logs ("segment", "rudderstack").
	Adapter string
	// Invalid is the adapter's ErrInvalidConfig, wrapped by every configuration error.
	Invalid error
	// DefaultBatchSize replaces a zero BatchSize.
	DefaultBatchSize int
	// Attempts is how many times the library sends one request body before it reports a failure.
	Attempts int
	// Transient lists the library's errors that retrying may fix.
	Transient []error
	// Start starts the library's client, configured with the parts and with cb as its Callback.
	Start func(p Parts, cb Callback[M]) (LibraryClient[M], error)
	// Track turns a message into the library's Track call.
	Track func(Message) M
	// ID reads the messageId of a message the library hands back to its Callback.
	ID func(M) string
}

// LibraryClient is the library's client, as the exporter drives it.
type LibraryClient[M any] interface {
	Enqueue(M) error
	Close() error
}

// URL is an adapter's base-URL Config field: its name (for errors), its value, and whether it is
// required or may be left to the library's default.
type URL struct {
	Field, Value string
	Required     bool
}

// NewSink completes s (from [Common]) with url and lib's adapter fields, checks it and fills in its
// defaults ([NewParts]), starts the library's client and returns wrap of the sink that drives it: the
// adapter's own Sink type. On error it returns a nil *W and an error wrapping lib.Invalid (the library
// refuses only configurations it cannot use).
func NewSink[W, M any](url URL, s Settings, lib Library[M], wrap func(*Sink) *W) (*W, error) {
	s.Adapter, s.Invalid, s.DefaultBatchSize = lib.Adapter, lib.Invalid, lib.DefaultBatchSize
	s.URLField, s.URL, s.URLRequired = url.Field, url.Value, url.Required
	s.Attempts, s.Transient = lib.Attempts, lib.Transient
	p, err := NewParts(s)
	if err != nil {
		return nil, err
	}
	c, err := lib.Start(p, Callback[M]{Exporter: p.Exporter, ID: lib.ID})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", s.Invalid, err)
	}
	p.Exporter.SetClient(libraryClient[M]{c: c, track: lib.Track})
	return wrap(&Sink{exp: p.Exporter, transport: p.Transport}), nil
}

// libraryClient is a [Client] over a library's client.
type libraryClient[M any] struct {
	c     LibraryClient[M]
	track func(Message) M
}

func (l libraryClient[M]) Enqueue(m Message) error { return l.c.Enqueue(l.track(m)) }
func (l libraryClient[M]) Close() error            { return l.c.Close() }

// Export sends b's events and returns when the service has confirmed or refused each of them, or when
// ctx ends (then the unconfirmed ones are reported as transient failures).
func (s *Sink) Export(ctx context.Context, b batching.Batch) error { return s.exp.Export(ctx, b) }

// Close flushes and stops the library; see [Exporter.Close].
func (s *Sink) Close(ctx context.Context) error { return s.exp.Close(ctx) }

// Late returns how many answers the library gave after the Export that sent the event stopped waiting.
func (s *Sink) Late() (delivered, failed uint64) { return s.exp.Late() }

// Requests returns how many HTTP requests reached the network, and how many of the library's own
// retries were answered without it.
func (s *Sink) Requests() (sent, replayed uint64) {
	return s.transport.Requests(), s.transport.Replays()
}

// TrackID returns a [Library.ID] for a library whose Track type is T: it reads, with id, the messageId
// of a message that is a T or a *T, and returns "" for any other message.
func TrackID[M any, T any](id func(*T) string) func(M) string {
	return func(m M) string {
		switch t := any(m).(type) {
		case T:
			return id(&t)
		case *T:
			return id(t)
		}
		return ""
	}
}
