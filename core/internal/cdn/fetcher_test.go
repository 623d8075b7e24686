package cdn

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func gzipBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchSendsEndpointQueryAndHeaders(t *testing.T) {
	type seen struct {
		path   string
		query  url.Values
		header http.Header
	}
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.URL.Path, r.URL.Query(), r.Header.Clone()})
		mu.Unlock()
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	defer srv.Close()
	f, _ := newTestFetcher(t, srv.URL+"/api/", nil) // trailing slash must not double up

	flags, err := f.FetchFlags(t.Context())
	if err != nil {
		t.Fatalf("FetchFlags: %v", err)
	}
	bandits, err := f.FetchBandits(t.Context())
	if err != nil {
		t.Fatalf("FetchBandits: %v", err)
	}
	if want := `{"path":"/api/flag-config/v1/config"}`; string(flags.Body) != want || flags.NotModified {
		t.Errorf("flags response = %+v, want body %s", flags, want)
	}
	if want := `{"path":"/api/flag-config/v1/bandits"}`; string(bandits.Body) != want {
		t.Errorf("bandits body = %s, want %s", bandits.Body, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(got))
	}
	for _, s := range got {
		if s.query.Get("apiKey") != testKey || s.query.Get("sdkName") != "eppokit-test" || s.query.Get("sdkVersion") != "9.9.9" {
			t.Errorf("%s: query = %v", s.path, s.query)
		}
		if len(s.query) != 3 {
			t.Errorf("%s: unexpected extra query parameters: %v", s.path, s.query)
		}
		if !strings.Contains(s.header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("%s: Accept-Encoding = %q, want gzip", s.path, s.header.Get("Accept-Encoding"))
		}
		if s.header.Get("If-None-Match") != "" {
			t.Errorf("%s: first request sent If-None-Match %q", s.path, s.header.Get("If-None-Match"))
		}
		if s.header.Get("User-Agent") != "eppokit-test/9.9.9" {
			t.Errorf("%s: User-Agent = %q", s.path, s.header.Get("User-Agent"))
		}
	}
}

func TestNewFetcherValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"missing key", Options{BaseURL: "https://example.com"}},
		{"missing base", Options{APIKey: testKey}},
		{"relative base", Options{APIKey: testKey, BaseURL: "/api"}},
		{"ftp base", Options{APIKey: testKey, BaseURL: "ftp://example.com/api"}},
		{"base with query", Options{APIKey: testKey, BaseURL: "https://example.com/api?apiKey=" + testKey}},
		{"unparsable base", Options{APIKey: testKey, BaseURL: "https://exa mple.com/%zz?apiKey=" + testKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFetcher(tc.opts)
			if err == nil {
				t.Fatalf("NewFetcher = %v, want an error", f)
			}
			assertNoKey(t, "NewFetcher error", err.Error())
		})
	}
	f, err := NewFetcher(Options{APIKey: testKey, BaseURL: "https://cdn.example/api/"})
	if err != nil {
		t.Fatalf("NewFetcher with defaults: %v", err)
	}
	if got := f.urls[FlagsEndpoint]; got != "https://cdn.example/api"+FlagsEndpoint+"?apiKey="+url.QueryEscape(testKey) {
		t.Errorf("flags URL = %s", Redact(got))
	}
	if f.timeout != DefaultRequestTimeout || f.maxBody != DefaultMaxBodyBytes {
		t.Errorf("defaults: timeout %v, max body %d", f.timeout, f.maxBody)
	}
}

func TestFetchETagNotModified(t *testing.T) {
	var version atomic.Int32
	version.Store(1)
	var lastINM atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := fmt.Sprintf(`"v%d"`, version.Load())
		lastINM.Store(r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		fmt.Fprintf(w, `{"version":%d}`, version.Load())
	}))
	defer srv.Close()
	f, _ := newTestFetcher(t, srv.URL, nil)
	ctx := t.Context()

	r1, err := f.FetchFlags(ctx)
	if err != nil || r1.NotModified || string(r1.Body) != `{"version":1}` || r1.ETag != `"v1"` {
		t.Fatalf("first fetch = %+v, %v", r1, err)
	}
	r2, err := f.FetchFlags(ctx)
	if err != nil || !r2.NotModified || r2.Body != nil || r2.ETag != `"v1"` {
		t.Fatalf("second fetch = %+v, %v; want NotModified with ETag v1", r2, err)
	}
	if inm := lastINM.Load(); inm != `"v1"` {
		t.Errorf("second request If-None-Match = %q, want \"v1\"", inm)
	}
	// The bandits endpoint keeps its own validator: nothing was fetched there yet.
	if _, err := f.FetchBandits(ctx); err != nil {
		t.Fatal(err)
	}
	if inm := lastINM.Load(); inm != "" {
		t.Errorf("bandits request reused the flags ETag: If-None-Match = %q", inm)
	}

	version.Store(2)
	r3, err := f.FetchFlags(ctx)
	if err != nil || r3.NotModified || string(r3.Body) != `{"version":2}` || r3.ETag != `"v2"` {
		t.Fatalf("fetch after change = %+v, %v", r3, err)
	}

	f.ResetETags()
	r4, err := f.FetchFlags(ctx)
	if err != nil || r4.NotModified || string(r4.Body) != `{"version":2}` {
		t.Fatalf("fetch after ResetETags = %+v, %v; want the full body", r4, err)
	}
	if inm := lastINM.Load(); inm != "" {
		t.Errorf("after ResetETags If-None-Match = %q, want none", inm)
	}
}

func TestFetchUnsolicited304IsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	f, _ := newTestFetcher(t, srv.URL, nil)
	_, err := f.FetchFlags(t.Context())
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusNotModified {
		t.Fatalf("err = %v, want *StatusError 304 (no If-None-Match was sent)", err)
	}
}

func TestFetchGzip(t *testing.T) {
	const payload = `{"flags":{"a":{"key":"a","enabled":true}}}`
	var sawGzipRequest atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("sdkName") {
		case "corrupt":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("definitely not gzip"))
			return
		case "brotli":
			w.Header().Set("Content-Encoding", "br")
			w.Write([]byte(payload))
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write([]byte(payload))
			return
		}
		sawGzipRequest.Store(true)
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBytes(t, []byte(payload)))
	}))
	defer srv.Close()

	clients := map[string]*http.Client{
		"default client": nil,
		// A transport that would transparently decompress if the fetcher had not asked for gzip itself.
		"compressing transport": {Transport: http.DefaultTransport.(*http.Transport).Clone()},
		// A wrapping RoundTripper, as custom instrumentation would install.
		"wrapped transport": {Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return http.DefaultTransport.RoundTrip(r)
		})},
	}
	for name, client := range clients {
		t.Run(name, func(t *testing.T) {
			sawGzipRequest.Store(false)
			f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.HTTPClient = client })
			if client != nil {
				t.Cleanup(client.CloseIdleConnections)
			}
			resp, err := f.FetchFlags(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != payload {
				t.Errorf("body = %q, want the decoded payload", resp.Body)
			}
			if !sawGzipRequest.Load() {
				t.Error("the server was not asked for gzip")
			}
		})
	}
	t.Run("corrupt gzip", func(t *testing.T) {
		f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.SDKName = "corrupt" })
		if _, err := f.FetchFlags(t.Context()); err == nil || !strings.Contains(err.Error(), "gzip") {
			t.Fatalf("err = %v, want a gzip error", err)
		}
	})
	t.Run("unsupported encoding", func(t *testing.T) {
		f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.SDKName = "brotli" })
		if _, err := f.FetchFlags(t.Context()); err == nil || !strings.Contains(err.Error(), `"br"`) {
			t.Fatalf("err = %v, want an unsupported Content-Encoding error", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFetchStatusErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("sdkName"))
		// Echo the request URL, key included, to prove the body never reaches the error.
		http.Error(w, "bad request for "+r.URL.String(), code)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		code         int
		unauthorized bool
	}{
		{http.StatusUnauthorized, true},
		{http.StatusForbidden, true},
		{http.StatusNotFound, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.SDKName = strconv.Itoa(tc.code) })
			_, err := f.FetchFlags(t.Context())
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tc.code || se.Endpoint != FlagsEndpoint {
				t.Fatalf("err = %v, want *StatusError{%d, %s}", err, tc.code, FlagsEndpoint)
			}
			if got := errors.Is(err, ErrUnauthorized); got != tc.unauthorized {
				t.Errorf("errors.Is(err, ErrUnauthorized) = %v, want %v", got, tc.unauthorized)
			}
			if got := IsPermanent(err); got != tc.unauthorized {
				t.Errorf("IsPermanent(err) = %v, want %v", got, tc.unauthorized)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.code)) {
				t.Errorf("error %q does not name the status", err)
			}
			assertNoKey(t, "status error", err.Error())
		})
	}
}

func TestFetchBodyTooLarge(t *testing.T) {
	const limit = 1024
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("sdkName") {
		case "exact":
			w.Write(bytes.Repeat([]byte("a"), limit))
		case "content-length":
			w.Write(bytes.Repeat([]byte("a"), 2*limit))
		case "chunked":
			// Flushing before the end forces chunked encoding: no Content-Length to check up front.
			for range 4 {
				w.Write(bytes.Repeat([]byte("b"), limit/2+1))
				w.(http.Flusher).Flush()
			}
		case "gzip-bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipBytes(t, make([]byte, 1<<20)))
		}
	}))
	defer srv.Close()
	for _, mode := range []string{"exact", "content-length", "chunked", "gzip-bomb"} {
		t.Run(mode, func(t *testing.T) {
			f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.SDKName = mode; o.MaxBodyBytes = limit })
			resp, err := f.FetchFlags(t.Context())
			if mode == "exact" {
				if err != nil || len(resp.Body) != limit {
					t.Fatalf("a body of exactly the limit: len %d, err %v", len(resp.Body), err)
				}
				return
			}
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("err = %v, want ErrBodyTooLarge", err)
			}
		})
	}
}

// hangingServer accepts requests and never answers until the client goes away.
func hangingServer(t *testing.T) (*httptest.Server, <-chan struct{}) {
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, arrived
}

func TestFetchHangingServerBoundedByRequestTimeout(t *testing.T) {
	srv, _ := hangingServer(t)
	f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.RequestTimeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := f.FetchFlags(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the request took %v despite a 100ms timeout", elapsed)
	}
	assertNoKey(t, "timeout error", err.Error())
}

func TestFetchCallerContextCancels(t *testing.T) {
	srv, arrived := hangingServer(t)
	f, _ := newTestFetcher(t, srv.URL, nil) // default 10 s timeout: cancellation must come from ctx
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := f.FetchFlags(ctx)
		errc <- err
	}()
	<-arrived
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FetchFlags ignored the cancelled context")
	}
}
