package trackexport

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestHTTPClientCarriesTheRequests checks that a caller's *http.Client sends what the library sends, and
// that its errors are not wrapped in a second method-and-URL prefix.
func TestHTTPClientCarriesTheRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	counting := &countingTransport{base: http.DefaultTransport}
	invalid := errors.New("invalid")
	p, err := NewParts(Settings{Adapter: "test", Invalid: invalid, WriteKey: "k", URLField: "URL", URL: srv.URL,
		DefaultBatchSize: 10, HTTPClient: &http.Client{Transport: counting}, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	library := &http.Client{Transport: p.Transport, Timeout: 5 * time.Second} // as the libraries build theirs
	resp, err := library.Post(srv.URL+"/v1/batch", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if counting.n.Load() != 1 {
		t.Fatalf("the caller's client carried %d requests, want 1", counting.n.Load())
	}

	srv.Close()
	_, err = library.Post(srv.URL+"/v1/batch", "application/json", strings.NewReader("{}"))
	var network *NetworkError
	if !errors.As(err, &network) || strings.Count(err.Error(), "Post ") != 1 {
		t.Fatalf("error through a closed server = %v, want one NetworkError naming the request once", err)
	}
}
