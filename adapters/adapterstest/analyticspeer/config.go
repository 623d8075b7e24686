package analyticspeer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Config holds the Config fields both adapters share, for [RunConfigTests].
type Config struct {
	WriteKey       string
	URL            string
	BatchSize      int
	Interval       time.Duration
	RequestTimeout time.Duration
}

// RunConfigTests checks that newSink refuses each unusable configuration with an error that wraps
// invalid and names the field, and accepts a minimal valid one. urlRequired says whether the base URL
// field is required (RudderStack's DataPlaneURL) or defaulted (Segment's Endpoint).
func RunConfigTests(t *testing.T, newSink func(Config) (Sink, error), invalid error, urlRequired bool) {
	valid := Config{WriteKey: "k", URL: "http://127.0.0.1:1"}
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"WriteKey", func(c *Config) { c.WriteKey = "" }},
		{"URL", func(c *Config) { c.URL = "localhost:8080" }},
		{"URL", func(c *Config) { c.URL = "ftp://example.com" }},
		{"BatchSize", func(c *Config) { c.BatchSize = -1 }},
		{"Interval", func(c *Config) { c.Interval = -time.Second }},
		{"RequestTimeout", func(c *Config) { c.RequestTimeout = -time.Second }},
	}
	if urlRequired {
		cases = append(cases, struct {
			field string
			edit  func(*Config)
		}{"URL", func(c *Config) { c.URL = "" }})
	}
	for _, tc := range cases {
		c := valid
		tc.edit(&c)
		_, err := newSink(c)
		if !errors.Is(err, invalid) {
			t.Errorf("%+v: NewSink error = %v, want one wrapping %v", c, err, invalid)
			continue
		}
		// The base URL field is Endpoint (Segment) or DataPlaneURL (RudderStack).
		if name := tc.field; name == "URL" {
			if !strings.Contains(err.Error(), "URL") && !strings.Contains(err.Error(), "Endpoint") {
				t.Errorf("%+v: error %q does not name the URL field", c, err)
			}
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%+v: error %q does not name %s", c, err, name)
		}
	}
	if !urlRequired {
		valid.URL = ""
	}
	sink, err := newSink(valid)
	if err != nil {
		t.Fatalf("%+v: %v", valid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	sink.Close(ctx)
}
