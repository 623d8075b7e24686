package cdn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://h/api/x?apiKey=abc&sdkName=go", "https://h/api/x?apiKey=XXXXXX&sdkName=go"},
		{"https://h/api/x?sdkName=go&apiKey=abc", "https://h/api/x?sdkName=go&apiKey=XXXXXX"},
		{`Get "https://h/x?apiKey=s3cr3t.Key%2B%2Fv1%3D&sdkName=go": EOF`, `Get "https://h/x?apiKey=XXXXXX&sdkName=go": EOF`},
		{"apikey=abc APIKEY=def", "apikey=XXXXXX APIKEY=XXXXXX"},
		{"https://h/x?apiKey%3Dabc%26sdkName%3Dgo", "https://h/x?apiKey%3DXXXXXX"},
		{"https://h/x?apiKey=", "https://h/x?apiKey=XXXXXX"},
		{"no key here", "no key here"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubberError(t *testing.T) {
	s := newScrubber(testKey)
	rawURL := "https://h/api?apiKey=" + url.QueryEscape(testKey) + "&sdkName=go"

	t.Run("url.Error keeps its type with a redacted URL", func(t *testing.T) {
		err := s.error(&url.Error{Op: "Get", URL: rawURL, Err: context.DeadlineExceeded})
		var ue *url.Error
		if !errors.As(err, &ue) || !strings.Contains(ue.URL, "apiKey="+Mask) {
			t.Fatalf("err = %#v, want *url.Error with a redacted URL", err)
		}
		assertNoKey(t, "url.Error.URL", ue.URL)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Error("the redacted url.Error lost its cause")
		}
	})
	t.Run("key elsewhere in the chain is scrubbed but errors.Is still works", func(t *testing.T) {
		inner := fmt.Errorf("server said %s: %w", testKey, ErrUnauthorized)
		err := s.error(fmt.Errorf("wrapped: %w", inner))
		assertNoKey(t, "scrubbed error", err.Error())
		if !errors.Is(err, ErrUnauthorized) {
			t.Error("errors.Is(ErrUnauthorized) lost by scrubbing")
		}
		var re *redactedError
		if !errors.As(err, &re) {
			t.Fatalf("err = %T, want *redactedError", err)
		}
		if errors.Unwrap(err) != nil {
			t.Error("the scrubbed error must not unwrap to the original, which holds the key")
		}
	})
	t.Run("clean errors pass through untouched", func(t *testing.T) {
		orig := errors.New("plain failure")
		if got := s.error(orig); got != orig {
			t.Errorf("s.error(clean) = %v, want the same error", got)
		}
		if s.error(nil) != nil {
			t.Error("s.error(nil) != nil")
		}
	})
}

// TestAPIKeyNeverInErrorsOrLogs drives every failure path of a real fetcher and poller and checks
// that neither the returned errors nor the captured log output holds the key.
func TestAPIKeyNeverInErrorsOrLogs(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied "+r.URL.String(), http.StatusUnauthorized)
	})
	mux.HandleFunc("/e500/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom "+r.URL.String(), http.StatusInternalServerError)
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.String(), http.StatusFound) // endless, key-carrying redirect
	})
	mux.HandleFunc("/hang/", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/big/", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 4096)) })
	mux.HandleFunc("/badgzip/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte(r.URL.String()))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	logger, logs := captureLogger()
	var errs []error
	for _, base := range []string{
		srv.URL + "/status", srv.URL + "/e500", srv.URL + "/loop", srv.URL + "/hang",
		srv.URL + "/big", srv.URL + "/badgzip", closedURL,
	} {
		f, err := NewFetcher(Options{APIKey: testKey, BaseURL: base, Logger: logger,
			RequestTimeout: 200 * time.Millisecond, MaxBodyBytes: 1024})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.FetchFlags(t.Context())
		if err == nil {
			t.Fatalf("%s: fetch succeeded, want an error", base)
		}
		errs = append(errs, err)
		f.CloseIdleConnections()

		// The poller logs the same errors; run it until it has logged at least one failure.
		p := StartPoller(t.Context(), func(ctx context.Context) error {
			_, err := f.FetchFlags(ctx)
			return err
		}, PollerOptions{Interval: time.Hour, Logger: logger})
		eventually(t, 5*time.Second, "a logged poll failure for "+base, func() bool {
			return strings.Contains(logs.String(), "poll failed") || p.Err() != nil
		})
		if err := p.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.CloseIdleConnections()
	}
	for _, err := range errs {
		assertNoKey(t, "error", err.Error())
		assertNoKey(t, "error (%+v)", fmt.Sprintf("%+v %#v", err, err))
	}
	if got, want := errs[2].Error(), "GET /flag-config/v1/config: stopped after 10 redirects"; got != want {
		t.Errorf("redirect-loop error = %q, want %q", got, want)
	}
	out := logs.String()
	if !strings.Contains(out, "cdn: polling stopped") || !strings.Contains(out, "poll failed") {
		t.Errorf("the poller logged neither a failure nor the stop:\n%s", out)
	}
	assertNoKey(t, "log output", out)
}
