package segment

import (
	"log/slog"
	"net/http"
	"time"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// Defaults applied to zero fields of [Config], and to the pipeline [NewLogger] builds.
const (
	// DefaultEndpoint is Segment's HTTP API.
	DefaultEndpoint = analytics.DefaultEndpoint
	// DefaultAssignmentEvent names the Track call of an assignment.
	DefaultAssignmentEvent = trackexport.DefaultAssignmentEvent
	// DefaultBanditEvent names the Track call of a bandit action.
	DefaultBanditEvent = trackexport.DefaultBanditEvent
	// DefaultBatchSize is both the library's batch size and the batch size of [NewLogger]'s pipeline
	// (the pipeline's own default), so that a full pipeline batch leaves in one request.
	DefaultBatchSize = batching.DefaultBatchSize
)

// Config configures a [Sink]. Only WriteKey is required; every zero field takes its default.
type Config struct {
	// WriteKey is the source's write key, sent as the basic-auth user. Required.
	WriteKey string
	// Endpoint is the API base URL (a proxy, or Segment's EU endpoint); requests go to
	// Endpoint + "/v1/batch". Default [DefaultEndpoint].
	Endpoint string
	// AssignmentEvent and BanditEvent name the Track calls of an assignment and of a bandit action.
	// Defaults [DefaultAssignmentEvent] and [DefaultBanditEvent].
	AssignmentEvent, BanditEvent string
	// BatchSize is the most messages per HTTP request. Default [DefaultBatchSize]; keep it at the
	// pipeline's batch size or above, or a pipeline batch is split into several requests.
	BatchSize int
	// Interval is how long the library holds a partial batch before it sends it. Default 10 ms: the
	// pipeline has already batched, and an Export's last partial batch waits up to this long.
	Interval time.Duration
	// RequestTimeout bounds each HTTP request. Default 10 s, which is also where the library's own HTTP
	// client stops any request, so longer values have no effect.
	RequestTimeout time.Duration
	// HTTPClient sends the requests, with everything it is set up with: its Transport's proxy and TLS
	// settings, its Timeout, redirect policy and cookie jar. Default: a client over a clone of
	// http.DefaultTransport that keeps more idle connections per host.
	HTTPClient *http.Client
	// Logger receives the library's own log lines, at debug level. Default slog.Default().
	Logger *slog.Logger
}
