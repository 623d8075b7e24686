package trackexport

import (
	"log/slog"
	"net/http"
	"time"
)

// DefaultInterval is how long the libraries hold a partial batch before sending it: short, because the
// pipeline has already batched and an Export waits for its last partial batch.
const DefaultInterval = 10 * time.Millisecond

// Settings are the configuration fields both adapters share.
type Settings struct {
	Adapter        string
	Names          Names
	BatchSize      int
	Interval       time.Duration
	RequestTimeout time.Duration
	Transport      http.RoundTripper
	Logger         *slog.Logger
	// Attempts is how many times the library sends one request body before it reports a failure.
	Attempts int
	// Transient lists library errors that retrying may fix.
	Transient []error
}

// Parts are what an adapter hands its library: the transport, the logger, and the exporter whose
// Success and Failure its Callback calls.
type Parts struct {
	Settings  Settings
	Transport *Transport
	Logger    LibraryLogger
	Exporter  *Exporter
}

// NewParts fills the zero fields of s with defaults (batch size defaultBatch) and builds the parts.
func NewParts(s Settings, defaultBatch int) Parts {
	s.Names = s.Names.WithDefaults()
	if s.BatchSize <= 0 {
		s.BatchSize = defaultBatch
	}
	if s.Interval <= 0 {
		s.Interval = DefaultInterval
	}
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	if s.Transport == nil {
		s.Transport = DefaultTransport()
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	t := NewTransport(s.Transport, s.RequestTimeout, s.Attempts)
	return Parts{
		Settings:  s,
		Transport: t,
		Logger:    LibraryLogger{L: s.Logger, Adapter: s.Adapter},
		Exporter: NewExporter(Options{Adapter: s.Adapter, Names: s.Names, Transport: t,
			Transient: s.Transient}),
	}
}

// NoWait is the RetryAfter policy given to the libraries: their retries of a failed request are answered
// by the [Transport] from memory, so there is nothing to wait for; the pipeline does the real backoff.
func NoWait(int) time.Duration { return 0 }
