package cdn_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/eppokit/eppokit/core/internal/cdn"
)

// A Fetcher downloads the flags configuration; the second fetch is answered 304 thanks to the ETag.
func ExampleFetcher_FetchFlags() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"abc"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		fmt.Fprint(w, `{"flags":{}}`)
	}))
	defer srv.Close()

	f, err := cdn.NewFetcher(cdn.Options{APIKey: "my-sdk-key", BaseURL: srv.URL, SDKName: "eppokit-go", SDKVersion: "0.1.0"})
	if err != nil {
		panic(err)
	}
	defer f.CloseIdleConnections()
	for range 2 {
		resp, err := f.FetchFlags(context.Background())
		fmt.Printf("body=%s notModified=%v err=%v\n", resp.Body, resp.NotModified, err)
	}
	// Output:
	// body={"flags":{}} notModified=false err=<nil>
	// body= notModified=true err=<nil>
}

// A Poller runs the fetch step until stopped; a rejected SDK key ends polling on its own.
func ExampleStartPoller() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such key", http.StatusUnauthorized)
	}))
	defer srv.Close()

	f, err := cdn.NewFetcher(cdn.Options{APIKey: "revoked-key", BaseURL: srv.URL})
	if err != nil {
		panic(err)
	}
	defer f.CloseIdleConnections()
	p := cdn.StartPoller(context.Background(), func(ctx context.Context) error {
		_, err := f.FetchFlags(ctx)
		return err
	}, cdn.PollerOptions{Interval: 30 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	<-p.Done()
	fmt.Println(errors.Is(p.Err(), cdn.ErrUnauthorized), p.Err())
	fmt.Println(p.Stop(context.Background()))
	// Output:
	// true GET /flag-config/v1/config: HTTP 401 Unauthorized
	// <nil>
}

// Redact masks the SDK key in any text that holds a CDN URL.
func ExampleRedact() {
	fmt.Println(cdn.Redact(`Get "https://fscdn.eppo.cloud/api/flag-config/v1/config?apiKey=secret&sdkName=go": EOF`))
	// Output:
	// Get "https://fscdn.eppo.cloud/api/flag-config/v1/config?apiKey=XXXXXX&sdkName=go": EOF
}
