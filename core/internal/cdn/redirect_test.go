package cdn

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// A redirect from https to http is refused before anything is sent over plain http, even to the same
// host; the caller's client keeps its own (nil) redirect policy.
func TestRedirectFromHTTPSToHTTPRefused(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	defer secure.Close()

	userClient := secure.Client()
	f, _ := newTestFetcher(t, secure.URL, func(o *Options) { o.HTTPClient = userClient })
	_, err := f.FetchFlags(t.Context())
	if !errors.Is(err, ErrRedirectRefused) || !strings.Contains(err.Error(), "from https to http") {
		t.Fatalf("fetch error = %v, want ErrRedirectRefused naming the https→http downgrade", err)
	}
	assertNoKey(t, "error", err.Error())
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain-http server received %d requests", n)
	}
	if userClient.CheckRedirect != nil {
		t.Error("NewFetcher modified the caller's http.Client")
	}
}

// A redirect within the base URL's host is followed, without a Referer (which would repeat the previous
// URL and its apiKey); the caller's own CheckRedirect still runs.
func TestRedirectWithinTheHostFollowedWithoutReferer(t *testing.T) {
	var mu sync.Mutex
	var referers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		referers = append(referers, r.Header.Get("Referer"))
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/old/") {
			http.Redirect(w, r, "/new/"+strings.TrimPrefix(r.URL.Path, "/old/")+"?"+r.URL.RawQuery, http.StatusMovedPermanently)
			return
		}
		w.Write([]byte(`{"flags":{}}`))
	}))
	defer srv.Close()

	var userChecks atomic.Int32
	userClient := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		userChecks.Add(1)
		return nil
	}}
	f, _ := newTestFetcher(t, srv.URL+"/old", func(o *Options) { o.HTTPClient = userClient })
	resp, err := f.FetchFlags(t.Context())
	if err != nil || string(resp.Body) != `{"flags":{}}` {
		t.Fatalf("FetchFlags = %q, %v", resp.Body, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(referers) != 2 || referers[0] != "" || referers[1] != "" {
		t.Errorf("Referer headers received: %q, want two empty ones", referers)
	}
	if userChecks.Load() != 1 {
		t.Errorf("the caller's CheckRedirect ran %d times, want 1", userChecks.Load())
	}
}

func TestRedirectAllowed(t *testing.T) {
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := u("http://cdn.example:8080/api")
	for _, tc := range []struct {
		prev, next string
		ok         bool
	}{
		{"http://cdn.example:8080/api/x", "http://CDN.example:8080/other", true},
		{"http://cdn.example:8080/api/x", "https://cdn.example:8080/other", true},
		{"http://cdn.example:8080/api/x", "http://cdn.example:9090/other", false},
		{"http://cdn.example:8080/api/x", "http://evil.example:8080/other", false},
		{"http://cdn.example:8080/api/x", "http://cdn.example.evil.example:8080/", false},
		{"https://cdn.example:8080/api/x", "http://cdn.example:8080/other", false},
	} {
		err := redirectAllowed(base, u(tc.prev), u(tc.next))
		if (err == nil) != tc.ok {
			t.Errorf("%s → %s: error %v, want allowed=%v", tc.prev, tc.next, err, tc.ok)
		}
	}
}
