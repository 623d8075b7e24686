package cdn

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces SDK key values in redacted text.
const Mask = "XXXXXX"

// apiKeyParam matches an apiKey query parameter (any case, raw or percent-encoded "=") and its value
// up to the next parameter separator, quote or whitespace.
var apiKeyParam = regexp.MustCompile(`(?i)(apikey(?:=|%3D))[^&\s"'<>]*`)

// Redact returns s with the value of every apiKey query parameter replaced by [Mask], so a URL such
// as ".../config?apiKey=secret&sdkName=go" becomes ".../config?apiKey=XXXXXX&sdkName=go". It is safe
// on any text, not only URLs.
func Redact(s string) string {
	if !strings.Contains(strings.ToLower(s), "apikey") {
		return s
	}
	return apiKeyParam.ReplaceAllString(s, "${1}"+Mask)
}

// scrubber removes one specific SDK key from text and errors, in its raw and query-escaped forms,
// on top of what [Redact] does.
type scrubber struct {
	forms []string
}

func newScrubber(apiKey string) scrubber {
	if apiKey == "" {
		return scrubber{}
	}
	forms := []string{apiKey}
	if esc := url.QueryEscape(apiKey); esc != apiKey {
		forms = append(forms, esc)
	}
	if esc := url.PathEscape(apiKey); esc != apiKey && esc != forms[len(forms)-1] {
		forms = append(forms, esc)
	}
	return scrubber{forms: forms}
}

// string redacts s.
func (s scrubber) string(text string) string {
	text = Redact(text)
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, Mask)
	}
	return text
}

// contains reports whether text still holds the key in any form.
func (s scrubber) contains(text string) bool {
	for _, f := range s.forms {
		if strings.Contains(text, f) {
			return true
		}
	}
	return false
}

// error returns err with the key removed from its message. A *url.Error (what http.Client.Do
// returns, carrying the full request URL) is rebuilt with a redacted URL so errors.As still finds it.
// If the key survives anywhere else in the message, the error is replaced by one whose text is
// scrubbed and which still answers errors.Is for the original chain (context.DeadlineExceeded,
// [ErrUnauthorized], ...) without exposing the original values through errors.As.
func (s scrubber) error(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		err = &url.Error{Op: ue.Op, URL: s.string(ue.URL), Err: ue.Err}
	}
	msg := err.Error()
	if s.contains(msg) || Redact(msg) != msg {
		return &redactedError{msg: s.string(msg), orig: err}
	}
	return err
}

// redactedError carries a scrubbed message for an error whose own text held the SDK key.
type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string { return e.msg }

// Is matches whatever the original chain matches, so callers can still branch on sentinels.
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }
