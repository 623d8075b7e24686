package cdn

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrUnauthorized is matched (errors.Is) by fetch errors for HTTP 401 and 403: the SDK key was
// rejected. Retrying cannot help, so a [Poller] stops when its step returns it.
var ErrUnauthorized = errors.New("unauthorized (SDK key rejected)")

// ErrBodyTooLarge is matched by fetch errors when the decoded response exceeds [Options.MaxBodyBytes].
var ErrBodyTooLarge = errors.New("response body too large")

// ErrPermanent is matched by errors wrapped with [Permanent].
var ErrPermanent = errors.New("permanent error")

// StatusError reports a non-2xx HTTP response (other than a 304 answering If-None-Match).
// For 401 and 403 it also matches [ErrUnauthorized].
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Endpoint is the request path relative to the base URL, e.g. "/flag-config/v1/config".
	Endpoint string
}

// Error describes the status without the request URL, which carries the SDK key.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.Endpoint, e.Code, http.StatusText(e.Code))
}

// Is makes a 401 or 403 StatusError match [ErrUnauthorized].
func (e *StatusError) Is(target error) bool {
	return target == ErrUnauthorized && (e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden)
}

// Permanent marks err as not worth retrying: a [Poller] whose step returns it stops polling.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err stops polling: it matches [ErrUnauthorized] or was wrapped with
// [Permanent].
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent) || errors.Is(err, ErrUnauthorized)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }
