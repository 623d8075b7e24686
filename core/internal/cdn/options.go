package cdn

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults applied by [NewFetcher] to zero-valued [Options] fields.
const (
	DefaultBaseURL        = "https://fscdn.eppo.cloud/api"
	DefaultSDKName        = "eppokit-go"
	DefaultSDKVersion     = "unknown"
	DefaultRequestTimeout = 10 * time.Second
	DefaultMaxBodyBytes   = 64 << 20
)

// Options configures a [Fetcher]. Every field except APIKey has a usable zero value.
type Options struct {
	// APIKey is the Eppo SDK key, sent as the apiKey query parameter. Required. It never appears in
	// an error or log line produced by this package.
	APIKey string
	// BaseURL is the CDN base URL without a trailing endpoint path; default [DefaultBaseURL].
	// It must be an absolute http or https URL.
	BaseURL string
	// SDKName is sent as the sdkName query parameter; default [DefaultSDKName].
	SDKName string
	// SDKVersion is sent as the sdkVersion query parameter; default [DefaultSDKVersion].
	SDKVersion string
	// HTTPClient performs the requests; default a client built by [NewHTTPClient]. Its Timeout, if
	// any, still applies in addition to RequestTimeout.
	HTTPClient *http.Client
	// RequestTimeout bounds each request, body download included, through its context;
	// default [DefaultRequestTimeout]. Values <= 0 select the default.
	RequestTimeout time.Duration
	// MaxBodyBytes caps the decoded response body; a larger body fails with [ErrBodyTooLarge].
	// Default [DefaultMaxBodyBytes]; values <= 0 select the default.
	MaxBodyBytes int64
	// Logger receives debug diagnostics about each fetch; default slog.Default().
	Logger *slog.Logger
}

// NewHTTPClient returns the HTTP client used when [Options.HTTPClient] is nil: a dedicated transport
// (not shared with http.DefaultTransport) with bounded dial, TLS and idle timeouts. The client itself
// has no Timeout; each request is bounded by its context instead.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConnsPerHost = 2
	// The fetcher asks for gzip itself and decodes it, so the transport must not.
	t.DisableCompression = true
	return &http.Client{Transport: t}
}
