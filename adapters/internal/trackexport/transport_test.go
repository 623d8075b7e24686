package trackexport

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {" 2 ", 2 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestTransportReplaysFailuresOfTheSameBody checks that a library retry of a failed body never reaches the
// server, that the remembered failure is forgotten after the library's last attempt, and that other
// bodies still go out.
func TestTransportReplaysFailuresOfTheSameBody(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "4")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	const attempts = 3
	client := &http.Client{Transport: NewTransport(nil, time.Second, attempts)}
	post := func(body string) error {
		resp, err := client.Post(srv.URL+"/v1/batch", "application/json", bytes.NewReader([]byte(body)))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	var status *StatusError
	for i := 0; i < attempts; i++ { // the first try and the library's retries
		if err := post("A"); !errors.As(err, &status) || status.Code != 429 || status.RetryAfter != 4*time.Second {
			t.Fatalf("attempt %d of body A = %v, want the 429 with its Retry-After", i+1, err)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("server hit %d times for one failed body, want 1", hits.Load())
	}
	if err := post("B"); err != nil {
		t.Fatalf("another body: %v", err)
	}
	if err := post("A"); err != nil { // forgotten after its last replay: a fresh send of A goes out
		t.Fatalf("body A after its replays: %v", err)
	}
	if hits.Load() != 3 {
		t.Fatalf("server hits = %d, want 3", hits.Load())
	}
}
