package core

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a server that keeps every request line and header it receives.
type recorder struct {
	srv *httptest.Server

	mu       sync.Mutex
	received []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.received = append(r.received, fmt.Sprintf("%s %s %v", req.Method, req.URL.String(), req.Header))
		r.mu.Unlock()
		w.Write([]byte(`{"flags":{}}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.received...)
}

// A CDN that redirects to another host must not hand the API key to it: not in the URL, not in a
// Referer, not anywhere. Go's http.Client follows such redirects and sets Referer to the previous URL,
// apiKey included, unless told otherwise.
func TestCDNRedirectToAnotherHostKeepsTheKey(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			elsewhere := newRecorder(t)
			// "localhost" rather than 127.0.0.1: another host name as well as another port.
			target := strings.Replace(elsewhere.srv.URL, "127.0.0.1", "localhost", 1)
			cdn := newFakeCDN(t, "flags-v1.json", "")
			cdn.setFail(func(w http.ResponseWriter, r *http.Request) bool {
				http.Redirect(w, r, target+r.URL.Path, code)
				return true
			})
			userClient := &http.Client{Timeout: 5 * time.Second}
			c, logs := newPollingClient(t, cdn, func(cfg *Config) { cfg.HTTPClient = userClient })
			eventually(t, "a fetch round", func() bool { return c.Stats().Fetches > 0 })

			err := c.Stats().LastError
			if err == nil || !strings.Contains(err.Error(), "redirect refused") || !strings.Contains(err.Error(), "another host") {
				t.Errorf("LastError = %v, want the refused redirect", err)
			}
			for _, req := range elsewhere.requests() {
				assertNoAPIKey(t, "a request to the other host", req)
			}
			if n := len(elsewhere.requests()); n != 0 {
				t.Errorf("the other host received %d requests: %q", n, elsewhere.requests())
			}
			if c.Configuration() != nil {
				t.Error("a configuration was installed from the other host")
			}
			if userClient.CheckRedirect != nil {
				t.Error("the caller's http.Client was modified")
			}
			assertNoAPIKey(t, "logs", logs.String())
		})
	}
}

// Redirects within the CDN's own host are followed; the configuration arrives.
func TestCDNRedirectWithinTheHostFollowed(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/old/") {
			http.Redirect(w, r, "/api/"+strings.TrimPrefix(r.URL.Path, "/old/")+"?"+r.URL.RawQuery, http.StatusFound)
			return true
		}
		return false
	})
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.BaseURL = cdn.srv.URL + "/old" })
	waitInit(t, c)
	if err := c.Stats().LastError; err != nil {
		t.Errorf("LastError = %v", err)
	}
}
