package cdn

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults applied by [NewFetcher] to zero-valued [Options] fields. The CDN's base URL and the library's
// name and version are the caller's (package core declares them), so they have no default here.
const (
	DefaultRequestTimeout = 10 * time.Second
	DefaultMaxBodyBytes   = 64 << 20
)

// Options configures a [Fetcher]. APIKey and BaseURL are required; the other fields have usable zero values.
type Options struct {
	// APIKey is the Eppo SDK key, sent as the apiKey query parameter. It never appears in an error or log
	// line produced by this package.
	APIKey string
	// BaseURL is the CDN base URL without a trailing endpoint path: an absolute http or https URL. The
	// API key is sent to this URL's host only (see [NewFetcher]).
	BaseURL string
	// SDKName is sent as the sdkName query parameter when set.
	SDKName string
	// SDKVersion is sent as the sdkVersion query parameter when set.
	SDKVersion string
	// HTTPClient performs the requests; default a client built by [NewHTTPClient]. Its Timeout, if
	// any, still applies in addition to RequestTimeout. The fetcher uses a copy with its own redirect
	// policy and never modifies the given client.
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
