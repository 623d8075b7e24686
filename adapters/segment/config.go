package segment

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Defaults applied to zero fields of [Config].
const (
	// DefaultEndpoint is Segment's HTTP API.
	DefaultEndpoint = analytics.DefaultEndpoint
	// DefaultAssignmentEvent names the Track call of an assignment.
	DefaultAssignmentEvent = trackexport.DefaultAssignmentEvent
	// DefaultBanditEvent names the Track call of a bandit action.
	DefaultBanditEvent = trackexport.DefaultBanditEvent
	// DefaultBatchSize is the library's batch size: the pipeline's, so that a full pipeline batch leaves
	// in one request at once.
	DefaultBatchSize = batching.DefaultBatchSize
	// DefaultInterval is how long the library holds a partial batch before sending it.
	DefaultInterval = trackexport.DefaultInterval
	// DefaultRequestTimeout bounds one HTTP request.
	DefaultRequestTimeout = trackexport.DefaultRequestTimeout
)

// ErrNoWriteKey is returned by [NewSink] without a write key.
var ErrNoWriteKey = errors.New("segment: a write key is required")

// Config configures a [Sink]. Only WriteKey is required; every other zero field takes its default.
type Config struct {
	// WriteKey is the source's write key, sent as the basic-auth user.
	WriteKey string
	// Endpoint is the API base URL; requests go to Endpoint + "/v1/batch". Default [DefaultEndpoint].
	Endpoint string
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
