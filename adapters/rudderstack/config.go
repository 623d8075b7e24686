package rudderstack

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	analytics "github.com/rudderlabs/analytics-go/v4"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Defaults applied to zero fields of [Config], and to the pipeline [NewLogger] builds.
const (
	// DefaultAssignmentEvent names the Track call of an assignment.
	DefaultAssignmentEvent = trackexport.DefaultAssignmentEvent
	// DefaultBanditEvent names the Track call of a bandit action.
	DefaultBanditEvent = trackexport.DefaultBanditEvent
	// DefaultBatchSize is the library's batch size, and the batch size of [NewLogger]'s pipeline: gzip
	// and the library's per-message routing make larger requests slower to turn around (measured: 512
	// reaches 0.7x the raw library's throughput, 256 about 1x).
	DefaultBatchSize = 256
	// DefaultInterval is how long the library holds a partial batch before sending it.
	DefaultInterval = trackexport.DefaultInterval
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = trackexport.DefaultRequestTimeout
	// DefaultExportConcurrency is how many batches [NewLogger]'s pipeline exports at a time: an Export
	// waits a full round trip for the data plane's confirmation, so several in flight keep the library
	// busy.
	DefaultExportConcurrency = trackexport.DefaultExportConcurrency
)

var (
	// ErrInvalidConfig is wrapped by the error of [NewSink] and [NewLogger] when a [Config] cannot be
	// used; the message names the field.
	ErrInvalidConfig = errors.New("rudderstack: invalid configuration")
	// ErrClosed is the cause of the permanent error Export returns after Close. It is
	// [batching.ErrClosed], so one errors.Is test works for every adapter and the pipeline.
	ErrClosed = batching.ErrClosed
)

// Config configures a [Sink]. WriteKey and DataPlaneURL are required; every other zero field takes its
// default.
type Config struct {
	// WriteKey is the source's write key, sent as the basic-auth user. Required.
	WriteKey string
	// DataPlaneURL is the data plane's base URL; requests go to DataPlaneURL + "/v1/batch". Required.
	DataPlaneURL string
	// AssignmentEvent and BanditEvent name the Track calls of an assignment and of a bandit action.
	// Defaults [DefaultAssignmentEvent] and [DefaultBanditEvent].
	AssignmentEvent, BanditEvent string
	// BatchSize is the most messages per HTTP request. Default [DefaultBatchSize]; keep it at the
	// pipeline's batch size or above, or a pipeline batch is split into several requests.
	BatchSize int
	// DisableGzip sends request bodies uncompressed. Default false: bodies are gzip-compressed, as the
	// library does by default.
	DisableGzip bool
	// Interval is how long the library holds a partial batch before it sends it. Default
	// [DefaultInterval]; an Export's last partial batch waits up to this long.
	Interval time.Duration
	// RequestTimeout bounds each HTTP request. Default [DefaultRequestTimeout]; the library's own HTTP
	// client also stops any request at 10 s, so longer values have no effect.
	RequestTimeout time.Duration
	// HTTPClient sends the requests, with everything it is set up with: its Transport's proxy and TLS
	// settings (a self-hosted data plane's CA), its Timeout, redirect policy and cookie jar. Default: a
	// client over a clone of http.DefaultTransport that keeps more idle connections per host.
	HTTPClient *http.Client
	// Logger receives the library's own log lines, at debug level. Default slog.Default().
	Logger *slog.Logger
}

// libraryAttempts is how many times analytics-go/v4 sends one batch before it reports a failure (the
// constant in its client.send).
const libraryAttempts = 10

// settings is cfg as the shared exporter reads it.
func (cfg Config) settings() trackexport.Settings {
	return trackexport.Settings{
		Adapter: "rudderstack", Invalid: ErrInvalidConfig, WriteKey: cfg.WriteKey,
		URLField: "DataPlaneURL", URL: cfg.DataPlaneURL, URLRequired: true, DefaultBatchSize: DefaultBatchSize,
		Names:     trackexport.Names{Assignment: cfg.AssignmentEvent, Bandit: cfg.BanditEvent},
		BatchSize: cfg.BatchSize, Interval: cfg.Interval, RequestTimeout: cfg.RequestTimeout,
		HTTPClient: cfg.HTTPClient, Logger: cfg.Logger,
		Attempts: libraryAttempts, Transient: []error{analytics.ErrTooManyRequests},
	}
}
