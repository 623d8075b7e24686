package cdn

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// CDN endpoints, relative to the base URL.
const (
	FlagsEndpoint   = "/flag-config/v1/config"
	BanditsEndpoint = "/flag-config/v1/bandits"
)

// Response is the result of a successful fetch.
type Response struct {
	// Body is the decoded (gunzipped) response body; nil when NotModified.
	Body []byte
	// NotModified reports a 304 answer to If-None-Match: the configuration last returned for this
	// endpoint is still current.
	NotModified bool
	// ETag is the entity tag of the current configuration ("" when the server sent none).
	ETag string
}

// Fetcher downloads configuration from the Eppo CDN. It remembers the ETag of the last 200
// response of each endpoint and sends it as If-None-Match, so an unchanged configuration costs a
// 304 and no body. It is safe for concurrent use.
type Fetcher struct {
	client    *http.Client
	urls      map[string]string // endpoint -> full URL (contains the SDK key; never print it)
	timeout   time.Duration
	maxBody   int64
	logger    *slog.Logger
	scrub     scrubber
	userAgent string

	mu    sync.Mutex
	etags map[string]string // endpoint -> last ETag seen on a 200
}

// NewFetcher validates opts, fills defaults and returns a Fetcher. It fails if APIKey is empty or
// BaseURL is not an absolute http(s) URL without query or fragment.
//
// The API key stays with BaseURL's host: the fetcher follows a redirect only to the same host and port,
// never from https to http, and without a Referer header; any other redirect fails the fetch with
// [ErrRedirectRefused]. It does so on a copy of Options.HTTPClient, which is left as it was.
func NewFetcher(opts Options) (*Fetcher, error) {
	if opts.APIKey == "" {
		return nil, errors.New("Options.APIKey is required")
	}
	scrub := newScrubber(opts.APIKey)
	if opts.BaseURL == "" {
		return nil, errors.New("Options.BaseURL is required")
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, scrub.error(fmt.Errorf("invalid BaseURL: %w", err))
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("invalid BaseURL %q: want an absolute http or https URL without query or fragment",
			scrub.string(opts.BaseURL))
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = NewHTTPClient()
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// url.Values.Encode sorts keys, matching the reference SDKs' query strings.
	params := url.Values{"apiKey": {opts.APIKey}}
	if opts.SDKName != "" {
		params.Set("sdkName", opts.SDKName)
	}
	if opts.SDKVersion != "" {
		params.Set("sdkVersion", opts.SDKVersion)
	}
	query := params.Encode()
	urls := make(map[string]string, 2)
	for _, ep := range []string{FlagsEndpoint, BanditsEndpoint} {
		u := *base
		u.Path = strings.TrimSuffix(base.Path, "/") + ep
		u.RawPath = ""
		u.RawQuery = query
		urls[ep] = u.String()
	}
	return &Fetcher{
		client:    keyStaysHome(opts.HTTPClient, base),
		urls:      urls,
		timeout:   opts.RequestTimeout,
		maxBody:   opts.MaxBodyBytes,
		logger:    opts.Logger,
		scrub:     scrub,
		userAgent: strings.Trim(opts.SDKName+"/"+opts.SDKVersion, "/"),
		etags:     make(map[string]string, 2),
	}, nil
}

// FetchFlags fetches the flags configuration (UFC JSON) from [FlagsEndpoint].
func (f *Fetcher) FetchFlags(ctx context.Context) (Response, error) {
	return f.fetch(ctx, FlagsEndpoint)
}

// FetchBandits fetches the bandit models JSON from [BanditsEndpoint].
func (f *Fetcher) FetchBandits(ctx context.Context) (Response, error) {
	return f.fetch(ctx, BanditsEndpoint)
}

// ResetETags forgets the remembered ETags, so the next fetch of each endpoint is unconditional.
// Call it when a fetched body could not be applied (parse error, failed companion fetch): otherwise
// the server would answer the next fetch with 304 and the new configuration would never arrive.
func (f *Fetcher) ResetETags() {
	f.mu.Lock()
	clear(f.etags)
	f.mu.Unlock()
}

// CloseIdleConnections closes idle keep-alive connections of the HTTP client (see
// [http.Client.CloseIdleConnections]); call it when the fetcher is no longer used.
func (f *Fetcher) CloseIdleConnections() {
	f.client.CloseIdleConnections()
}

func (f *Fetcher) etag(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.etags[endpoint]
}

func (f *Fetcher) setETag(endpoint, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if etag == "" {
		delete(f.etags, endpoint)
	} else {
		f.etags[endpoint] = etag
	}
}

// fetch performs one GET of endpoint, bounded by the request timeout. Every error it returns has
// been scrubbed of the SDK key.
func (f *Fetcher) fetch(ctx context.Context, endpoint string) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.urls[endpoint], nil)
	if err != nil {
		return Response{}, f.scrub.error(fmt.Errorf("GET %s: %w", endpoint, err))
	}
	req.Header.Set("Accept", "application/json")
	// Set explicitly so the body arrives compressed whatever the transport; decoded in readBody.
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", f.userAgent)
	sentETag := f.etag(endpoint)
	if sentETag != "" {
		req.Header.Set("If-None-Match", sentETag)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		// The *url.Error around it repeats the method and the full URL; its cause is what matters.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Response{}, fmt.Errorf("GET %s: %w", endpoint, f.scrub.error(err))
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotModified && sentETag != "":
		f.logger.LogAttrs(ctx, slog.LevelDebug, "cdn: configuration not modified", slog.String("endpoint", endpoint))
		return Response{NotModified: true, ETag: sentETag}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Drain a little so the connection can be reused; the body itself is not reported because
		// it is arbitrary server text.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		return Response{}, &StatusError{Code: resp.StatusCode, Endpoint: endpoint}
	}

	body, err := f.readBody(resp)
	if err != nil {
		return Response{}, fmt.Errorf("GET %s: %w", endpoint, f.scrub.error(err))
	}
	etag := resp.Header.Get("ETag")
	f.setETag(endpoint, etag)
	f.logger.LogAttrs(ctx, slog.LevelDebug, "cdn: configuration fetched",
		slog.String("endpoint", endpoint), slog.Int("bytes", len(body)), slog.Bool("etag", etag != ""))
	return Response{Body: body, ETag: etag}, nil
}

// readBody returns the decoded body, failing with [ErrBodyTooLarge] past maxBody decoded bytes
// (which also defuses gzip bombs).
func (f *Fetcher) readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	gzipped := false
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gzipped = !resp.Uncompressed
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	if gzipped {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		r = zr
	} else if resp.ContentLength > f.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the %d byte limit", ErrBodyTooLarge, resp.ContentLength, f.maxBody)
	}

	var buf bytes.Buffer
	if !gzipped && resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1) // +1 so the final EOF read does not regrow
	}
	n, err := buf.ReadFrom(io.LimitReader(r, f.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if n > f.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, f.maxBody)
	}
	return buf.Bytes(), nil
}
