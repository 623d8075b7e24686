package cdn

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is how many redirects one request follows, as net/http does by default.
const maxRedirects = 10

// ErrRedirectRefused is matched by fetch errors when the CDN redirected to a place the API key must not
// go: another host, or plain http from https.
var ErrRedirectRefused = errors.New("redirect refused")

// keyStaysHome returns a copy of client whose redirects never carry the API key away from base's host:
// a redirect to another host (hostname or port) or from https to http is refused, no redirect carries a
// Referer (Go would set it to the previous URL, query and API key included), and a CheckRedirect the
// client already had still runs after these checks. The caller's client is not modified.
func keyStaysHome(client *http.Client, base *url.URL) *http.Client {
	c := *client
	userCheck := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		req.Header.Del("Referer")
		if err := redirectAllowed(base, via[len(via)-1].URL, req.URL); err != nil {
			return err
		}
		if userCheck != nil {
			return userCheck(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return &c
}

// redirectAllowed reports, as an error, why a redirect from prev to next would take the key elsewhere.
// Only base's host, with the same port, may receive the key; https may never become http.
func redirectAllowed(base, prev, next *url.URL) error {
	if prev.Scheme == "https" && next.Scheme != "https" {
		return fmt.Errorf("%w: from https to %s (%s); the API key is never sent unencrypted once https was used",
			ErrRedirectRefused, next.Scheme, next.Host)
	}
	if !strings.EqualFold(next.Hostname(), base.Hostname()) || next.Port() != base.Port() {
		return fmt.Errorf("%w: to another host (%s); the API key is only sent to %s",
			ErrRedirectRefused, next.Host, base.Host)
	}
	return nil
}
