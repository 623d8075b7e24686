package rudderstack

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
)

// Defaults applied to zero fields of [Config].
const (
	// DefaultAssignmentEvent names the Track call of an assignment.
	DefaultAssignmentEvent = trackexport.DefaultAssignmentEvent
	// DefaultBanditEvent names the Track call of a bandit action.
	DefaultBanditEvent = trackexport.DefaultBanditEvent
	// DefaultBatchSize is the library's batch size, and the pipeline batch size [NewLogger] sets: gzip
	// and the library's per-message routing make larger requests slower to turn around (measured: 512
	// reaches 0.7x the raw library's throughput, 256 about 1x).
	DefaultBatchSize = 256
	// DefaultInterval is how long the library holds a partial batch before sending it.
	DefaultInterval = trackexport.DefaultInterval
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = trackexport.DefaultRequestTimeout
)

// Errors returned by [NewSink] for an incomplete configuration.
var (
	ErrNoWriteKey     = errors.New("rudderstack: a write key is required")
	ErrNoDataPlaneURL = errors.New("rudderstack: a data plane URL is required")
)

// Config configures a [Sink]. WriteKey and DataPlaneURL are required; every other zero field takes its
// default.
type Config struct {
	// WriteKey is the source's write key, sent as the basic-auth user.
	WriteKey string
	// DataPlaneURL is the data plane's base URL; requests go to DataPlaneURL + "/v1/batch".
	DataPlaneURL string
	// DisableGzip sends request bodies uncompressed. Default false: bodies are gzip-compressed, as the
	// library does by default.
	DisableGzip bool
	// AssignmentEvent names the Track call of an assignment. Default [DefaultAssignmentEvent].
	AssignmentEvent string
	// BanditEvent names the Track call of a bandit action. Default [DefaultBanditEvent].
	BanditEvent string
	// BatchSize is the most messages per HTTP request. Default [DefaultBatchSize]; keep it at the
	// pipeline's batch size or above, or a pipeline batch is split into several requests.
	BatchSize int
	// Interval is how long the library holds a partial batch before it sends it. Default
	// [DefaultInterval]; an Export's last partial batch waits up to this long.
	Interval time.Duration
	// RequestTimeout bounds each HTTP request. Default [DefaultRequestTimeout]; the library's own HTTP
	// client also stops any request at 10 s, so longer values have no effect.
	RequestTimeout time.Duration
	// Transport sends the requests. Default: a clone of http.DefaultTransport keeping more idle
	// connections per host.
	Transport http.RoundTripper
	// Logger receives the library's own log lines, at debug level. Default slog.Default().
	Logger *slog.Logger
}
