package core

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testAPIKey changes under query escaping, so both forms are looked for in logs.
const testAPIKey = "k3y-S3cret+/v1="

// cdnRequest is what the fake CDN saw of one request.
type cdnRequest struct {
	path        string
	query       url.Values
	ifNoneMatch string
	gzipped     bool // the answer was gzip-encoded
	at          time.Time
}

// fakeCDN is a real HTTP server speaking the Eppo CDN protocol: it serves a flags and a bandits
// document with ETags, answers If-None-Match with 304, gzips when asked, and can be told to fail.
type fakeCDN struct {
	srv *httptest.Server

	mu          sync.Mutex
	flags       []byte
	flagsETag   string
	bandits     []byte
	banditsETag string
	// fail, when set, answers a request instead of the normal handler (status code, hang, ...);
	// it returns false to let the request through.
	fail     func(w http.ResponseWriter, r *http.Request) bool
	requests []cdnRequest
	release  chan struct{} // closed on cleanup: ends hung requests
}

func newFakeCDN(t testing.TB, flagsFile, banditsFile string) *fakeCDN {
	t.Helper()
	f := &fakeCDN{release: make(chan struct{})}
	f.setFlags(readFile(t, filepath.Join(ufcDir(t), flagsFile)), `"flags-1"`)
	if banditsFile != "" {
		f.setBandits(readFile(t, filepath.Join(ufcDir(t), banditsFile)), `"bandits-1"`)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.release)
		f.srv.Close()
	})
	return f
}

func (f *fakeCDN) baseURL() string { return f.srv.URL + "/api" }

func (f *fakeCDN) setFlags(body []byte, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flags, f.flagsETag = body, etag
}

func (f *fakeCDN) setBandits(body []byte, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bandits, f.banditsETag = body, etag
}

func (f *fakeCDN) setFail(fail func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

// hang holds a request until the client gives up or the test ends.
func (f *fakeCDN) hang(_ http.ResponseWriter, r *http.Request) bool {
	select {
	case <-r.Context().Done():
	case <-f.release:
	}
	return true
}

// status returns a fail function answering code.
func status(code int) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, _ *http.Request) bool {
		http.Error(w, http.StatusText(code), code)
		return true
	}
}

func (f *fakeCDN) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rec := cdnRequest{path: r.URL.Path, query: r.URL.Query(), ifNoneMatch: r.Header.Get("If-None-Match"), at: time.Now()}
	fail := f.fail
	var body []byte
	var etag string
	switch r.URL.Path {
	case "/api" + "/flag-config/v1/config":
		body, etag = f.flags, f.flagsETag
	case "/api" + "/flag-config/v1/bandits":
		body, etag = f.bandits, f.banditsETag
	}
	gz := body != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	rec.gzipped = gz && rec.ifNoneMatch != etag
	f.requests = append(f.requests, rec)
	f.mu.Unlock()

	if fail != nil && fail(w, r) {
		return
	}
	switch {
	case body == nil:
		http.NotFound(w, r)
	case etag != "" && rec.ifNoneMatch == etag:
		w.WriteHeader(http.StatusNotModified)
	case gz:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("ETag", etag)
		_, _ = w.Write(buf.Bytes())
	default:
		w.Header().Set("ETag", etag)
		_, _ = w.Write(body)
	}
}

// seen returns the requests made so far to endpoint ("" for all).
func (f *fakeCDN) seen(endpoint string) []cdnRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cdnRequest
	for _, r := range f.requests {
		if endpoint == "" || strings.HasSuffix(r.path, endpoint) {
			out = append(out, r)
		}
	}
	return out
}

const (
	flagsPath   = "/flag-config/v1/config"
	banditsPath = "/flag-config/v1/bandits"
)

// newPollingClient starts a client polling cdn with a captured debug logger; at cleanup it closes
// the client and checks that the API key never reached the logs.
func newPollingClient(t *testing.T, cdn *fakeCDN, mod func(*Config)) (*Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg := Config{
		APIKey:       testAPIKey,
		BaseURL:      cdn.baseURL(),
		PollInterval: 50 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertNoAPIKey(t, "logs", logs.String())
		if err := c.Stats().LastError; err != nil {
			assertNoAPIKey(t, "Stats.LastError", err.Error())
		}
	})
	return c, logs
}

// waitInit waits for the client's first configuration, failing the test after 5 s.
func waitInit(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitForInitialization(ctx); err != nil {
		t.Fatalf("WaitForInitialization: %v", err)
	}
}

// eventually polls cond every few milliseconds for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// assertNoAPIKey fails if text holds the test key in raw or escaped form.
func assertNoAPIKey(t *testing.T, what, text string) {
	t.Helper()
	for _, form := range []string{testAPIKey, url.QueryEscape(testAPIKey), url.PathEscape(testAPIKey), "S3cret"} {
		if strings.Contains(text, form) {
			t.Errorf("%s leak the API key (%q): %s", what, form, text)
		}
	}
}

// logBuffer is a goroutine-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// editJSON decodes doc, applies edit and re-encodes it.
func editJSON(t testing.TB, doc []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	mustUnmarshal(t, doc, &m)
	edit(m)
	return mustJSON(t, m)
}

// settledGoroutines waits until the goroutine count is at most want and returns the last count.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}
