package cdn

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkFetchFlags measures one fetch round trip against a local server: a full gzipped body,
// and the steady-state 304 path every poll takes while the configuration is unchanged.
func BenchmarkFetchFlags(b *testing.B) {
	body := make([]byte, 64<<10)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	gz := gzipBytes(b, body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz)
	}))
	defer srv.Close()

	for _, notModified := range []bool{false, true} {
		name := "200-gzip-64KiB"
		if notModified {
			name = "304"
		}
		b.Run(name, func(b *testing.B) {
			f, err := NewFetcher(Options{APIKey: testKey, BaseURL: srv.URL})
			if err != nil {
				b.Fatal(err)
			}
			defer f.CloseIdleConnections()
			if _, err := f.FetchFlags(b.Context()); err != nil { // prime the ETag
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if !notModified {
					f.ResetETags()
				}
				resp, err := f.FetchFlags(b.Context())
				if err != nil || resp.NotModified != notModified {
					b.Fatalf("resp %+v err %v", resp.NotModified, err)
				}
			}
		})
	}
}

// BenchmarkRedact measures scrubbing an error message that carries the key (the failure path) and
// one that does not (the common case for log lines).
func BenchmarkRedact(b *testing.B) {
	s := newScrubber(testKey)
	withKey := `Get "https://fscdn.eppo.cloud/api/flag-config/v1/config?apiKey=s3cr3t.Key%2B%2Fv1%3D&sdkName=go&sdkVersion=1": dial tcp: connection refused`
	without := "cdn: GET /flag-config/v1/config: HTTP 500 Internal Server Error"
	b.Run("with-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.string(withKey)
		}
	})
	b.Run("without-key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = s.string(without)
		}
	})
}
