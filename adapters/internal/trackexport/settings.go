package trackexport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/eppokit/eppokit/batching"
)

// Defaults both adapters apply to zero fields of their Config.
const (
	// DefaultInterval is how long the libraries hold a partial batch before sending it: short, because
	// the pipeline has already batched and an Export waits for its last partial batch.
	DefaultInterval = 10 * time.Millisecond
	// DefaultExportConcurrency is how many batches an adapter's pipeline exports at a time. An Export
	// waits for the service's confirmation, a full round trip; with several in flight the library's loop
	// keeps encoding while earlier batches travel, as it does when used directly (measured on 2 cores:
	// one at a time reaches about 0.6x the raw library's throughput, four about 1.05x).
	DefaultExportConcurrency = 4
)

// Settings are an adapter's Config as far as both adapters share it, plus what tells the two libraries
// apart.
type Settings struct {
	// Adapter names the adapter in errors and logs ("segment", "rudderstack").
	Adapter string
	// Invalid is the adapter's ErrInvalidConfig, wrapped by every configuration error.
	Invalid error

	WriteKey string
	// URLField names the base URL's Config field in errors; URL is its value.
	URLField    string
	URL         string
	URLRequired bool

	Names          Names
	BatchSize      int
	Interval       time.Duration
	RequestTimeout time.Duration
	HTTPClient     *http.Client
	Logger         *slog.Logger

	// DefaultBatchSize replaces a zero BatchSize.
	DefaultBatchSize int
	// Attempts is how many times the library sends one request body before it reports a failure.
	Attempts int
	// Transient lists library errors that retrying may fix.
	Transient []error
}

// Common returns the Settings of the Config fields both adapters have, under the same names and in the
// order both Configs declare them, so that each adapter copies them in one call; [NewSink] adds what is
// the adapter's own.
func Common(writeKey, assignmentEvent, banditEvent string, batchSize int, interval, requestTimeout time.Duration,
	httpClient *http.Client, logger *slog.Logger) Settings {
	return Settings{WriteKey: writeKey, Names: Names{Assignment: assignmentEvent, Bandit: banditEvent},
		BatchSize: batchSize, Interval: interval, RequestTimeout: requestTimeout, HTTPClient: httpClient,
		Logger: logger}
}

// Parts are what an adapter hands its library: the settings with defaults applied, the transport, the
// logger, and the exporter whose Success and Failure its Callback calls.
type Parts struct {
	Settings  Settings
	Transport *Transport
	Logger    LibraryLogger
	Exporter  *Exporter
}

// NewParts checks s, fills its zero fields with defaults and builds the parts. An unusable field is an
// error wrapping s.Invalid that names the field.
func NewParts(s Settings) (Parts, error) {
	if err := s.check(); err != nil {
		return Parts{}, fmt.Errorf("%w: %s", s.Invalid, err)
	}
	s.Names = s.Names.WithDefaults()
	if s.BatchSize == 0 {
		s.BatchSize = s.DefaultBatchSize
	}
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.RequestTimeout == 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	var base http.RoundTripper = DefaultTransport()
	if s.HTTPClient != nil {
		base = clientTransport{s.HTTPClient}
	}
	t := NewTransport(base, s.RequestTimeout, s.Attempts)
	return Parts{
		Settings:  s,
		Transport: t,
		Logger:    LibraryLogger{L: s.Logger, Adapter: s.Adapter},
		Exporter: NewExporter(Options{Adapter: s.Adapter, Names: s.Names, Transport: t,
			Transient: s.Transient}),
	}, nil
}

// check names the first unusable field of s.
func (s Settings) check() error {
	switch {
	case s.WriteKey == "":
		return fmt.Errorf("WriteKey is required")
	case s.URL == "" && s.URLRequired:
		return fmt.Errorf("%s is required", s.URLField)
	case s.BatchSize < 0:
		return fmt.Errorf("BatchSize is negative (%d)", s.BatchSize)
	case s.Interval < 0:
		return fmt.Errorf("Interval is negative (%s)", s.Interval)
	case s.RequestTimeout < 0:
		return fmt.Errorf("RequestTimeout is negative (%s)", s.RequestTimeout)
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s %q is not an http or https URL", s.URLField, s.URL)
		}
	}
	return nil
}

// clientTransport sends through a caller's *http.Client, so that everything it is set up with (its
// Transport's proxy and TLS settings, its Timeout, redirect policy and cookie jar) applies.
type clientTransport struct{ c *http.Client }

func (t clientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.c.Do(req)
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the library's own client names the method and URL again
	}
	return resp, err
}

// NoWait is the RetryAfter policy given to the libraries: their retries of a failed request are answered
// by the [Transport] from memory, so there is nothing to wait for; the pipeline does the real backoff.
func NoWait(int) time.Duration { return 0 }

// NewLogger builds an adapter's sink with newSink and returns the pipeline its NewLogger returns: named
// after the adapter, with [DefaultExportConcurrency] exports at a time and batches of batchSize, then
// opts.
func NewLogger[C any, S batching.Sink](newSink func(C) (S, error), cfg C, adapter string, batchSize int,
	opts []batching.Option) (*batching.Processor, error) {
	sink, err := newSink(cfg)
	if err != nil {
		return nil, err
	}
	defaults := []batching.Option{
		batching.WithName(adapter),
		batching.WithExportConcurrency(DefaultExportConcurrency),
		batching.WithBatchSize(batchSize),
	}
	return batching.New(sink, append(defaults, opts...)...), nil
}
