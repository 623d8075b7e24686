package trackexport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRequestTimeout bounds one HTTP request when the adapter's configuration does not say.
const DefaultRequestTimeout = 10 * time.Second

// maxResponseBody caps what is read from a response: enough for an error message, and it lets the
// connection be reused.
const maxResponseBody = 64 << 10

// failureTTL is how long a failed request body is remembered for the library's retries of it. The
// libraries retry with the zero RetryAfter this package configures, so their retries land within
// milliseconds; the TTL only bounds memory if a library ever stops retrying early.
const failureTTL = time.Minute

// ErrAborted is the cause of requests cut short because the sink was closed past its deadline.
var ErrAborted = errors.New("request aborted: sink closed")

// StatusError is a non-2xx answer from the service.
type StatusError struct {
	Code int
	// RetryAfter is the wait the Retry-After header asked for, zero without one.
	RetryAfter time.Duration
	// Body is the start of the response body, for the error message.
	Body string
}

// Error renders the status and the start of the body.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Transient reports whether retrying may succeed: 408, 429 and 5xx.
func (e *StatusError) Transient() bool {
	return e.Code == http.StatusRequestTimeout || e.Code == http.StatusTooManyRequests || e.Code >= 500
}

// NetworkError is a request that got no answer: connection refused, reset, timed out.
type NetworkError struct{ Err error }

// Error names the network failure.
func (e *NetworkError) Error() string { return "network: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *NetworkError) Unwrap() error { return e.Err }

// Transport is the http.RoundTripper the adapters give their library. See the package documentation.
type Transport struct {
	base     http.RoundTripper
	timeout  time.Duration
	attempts int // the library's attempts per request body

	abort     context.Context
	abortFunc context.CancelFunc

	seed    maphash.Seed
	pending atomic.Int32 // len(failed), read without the lock on the fast path
	mu      sync.Mutex
	failed  map[uint64]*failure

	requests atomic.Uint64
	replays  atomic.Uint64
}

type failure struct {
	err     error
	replays int
	at      time.Time
}

// NewTransport wraps base (http.DefaultTransport when nil). timeout bounds each request (values below one
// mean [DefaultRequestTimeout]); attempts is how many times the library tries one request body before it
// reports a failure, so that the remembered failure can be forgotten after its last replay.
func NewTransport(base http.RoundTripper, timeout time.Duration, attempts int) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	return &Transport{
		base:      base,
		timeout:   timeout,
		attempts:  max(attempts, 1),
		abort:     ctx,
		abortFunc: func() { cancel(ErrAborted) },
		seed:      maphash.MakeSeed(),
		failed:    make(map[uint64]*failure),
	}
}

// Abort cuts every request in flight and every later one short with [ErrAborted].
func (t *Transport) Abort() { t.abortFunc() }

// Requests counts the requests that reached the network; Replays counts library retries answered from
// memory.
func (t *Transport) Requests() uint64 { return t.requests.Load() }

// Replays counts the library's retries of a failed request that were answered from memory.
func (t *Transport) Replays() uint64 { return t.replays.Load() }

// RoundTrip sends req, or replays the failure of an identical earlier request.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.pending.Load() > 0 {
		if key, ok := t.bodyKey(req); ok {
			if err := t.replay(key); err != nil {
				if req.Body != nil {
					req.Body.Close()
				}
				return nil, err
			}
		}
	}
	if err := t.abort.Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &NetworkError{Err: context.Cause(t.abort)}
	}
	t.requests.Add(1)
	resp, err := t.send(req)
	if err != nil {
		if key, ok := t.bodyKey(req); ok {
			t.remember(key, err)
		}
		return nil, err
	}
	return resp, nil
}

// send performs one bounded request. It returns a response only for a 2xx answer, with its body already
// read; everything else is a *StatusError or a *NetworkError.
func (t *Transport) send(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeoutCause(req.Context(), t.timeout,
		fmt.Errorf("no answer within %s", t.timeout))
	defer cancel()
	stop := context.AfterFunc(t.abort, cancel)
	defer stop()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			if t.abort.Err() != nil {
				cause = ErrAborted
			}
			err = fmt.Errorf("%w (%v)", cause, err)
		}
		return nil, &NetworkError{Err: err}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{
			Code:       resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			Body:       snippet(body),
		}
	}
	if err != nil {
		return nil, &NetworkError{Err: fmt.Errorf("reading the response: %w", err)}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// bodyKey hashes the request body. The libraries build requests from byte slices, so GetBody hands out a
// fresh reader without copying.
func (t *Transport) bodyKey(req *http.Request) (uint64, bool) {
	if req.GetBody == nil {
		return 0, false
	}
	body, err := req.GetBody()
	if err != nil {
		return 0, false
	}
	defer body.Close()
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(req.URL.Path)
	if _, err := io.Copy(&h, body); err != nil {
		return 0, false
	}
	return h.Sum64(), true
}

func (t *Transport) remember(key uint64, err error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, f := range t.failed {
		if now.Sub(f.at) > failureTTL {
			delete(t.failed, k)
		}
	}
	if t.attempts > 1 {
		t.failed[key] = &failure{err: err, at: now}
	}
	t.pending.Store(int32(len(t.failed)))
}

// replay returns the remembered failure for key, or nil.
func (t *Transport) replay(key uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.failed[key]
	if !ok {
		return nil
	}
	f.replays++
	if f.replays >= t.attempts-1 {
		delete(t.failed, key)
		t.pending.Store(int32(len(t.failed)))
	}
	t.replays.Add(1)
	return f.err
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date; zero when absent or invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

func snippet(b []byte) string {
	const limit = 200
	s := strings.TrimSpace(string(b))
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// DefaultTransport returns a clone of http.DefaultTransport that keeps enough idle connections per host
// for the libraries' concurrent batch requests.
func DefaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}
