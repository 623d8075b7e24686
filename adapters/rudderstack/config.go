package rudderstack

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
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
	// Interval is how long the library holds a partial batch before it sends it. Default 10 ms: the
	// pipeline has already batched, and an Export's last partial batch waits up to this long.
	Interval time.Duration
	// RequestTimeout bounds each HTTP request. Default 10 s, which is also where the library's own HTTP
	// client stops any request, so longer values have no effect.
	RequestTimeout time.Duration
	// HTTPClient sends the requests, with everything it is set up with: its Transport's proxy and TLS
	// settings (a self-hosted data plane's CA), its Timeout, redirect policy and cookie jar. Default: a
	// client over a clone of http.DefaultTransport that keeps more idle connections per host.
	HTTPClient *http.Client
	// Logger receives the library's own log lines, at debug level. Default slog.Default().
	Logger *slog.Logger
}
