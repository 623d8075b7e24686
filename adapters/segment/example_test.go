package segment_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/eppokit/eppokit/adapters/segment"
	"github.com/eppokit/eppokit/core"
)

func ExampleNewLogger() {
	// A stand-in for api.segment.io; in production leave Endpoint empty.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()

	logger, err := segment.NewLogger(segment.Config{WriteKey: "my-write-key", Endpoint: api.URL})
	if err != nil {
		panic(err)
	}
	// Hand logger to the eppokit client as its AssignmentLogger and BanditLogger.
	logger.LogAssignment(core.AssignmentEvent{
		FeatureFlag: "checkout", Allocation: "rollout", Experiment: "checkout-rollout",
		Variation: "on", Subject: "user-1", Timestamp: time.Now(),
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := logger.Close(ctx); err != nil {
		fmt.Println("close:", err)
	}
	st := logger.Stats()
	fmt.Printf("%s: delivered %d, dropped %d\n", st.Name, st.Delivered, st.DroppedTotal())
	// Output: segment: delivered 1, dropped 0
}

// Bring your own *http.Client: its proxy, TLS settings and timeouts apply to every request. Here a TLS
// stand-in for Segment is trusted through its certificate pool; in production a client set up like
//
//	&http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsConfig}}
//
// sends through your proxy with your CA.
func ExampleConfig_httpClient() {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()

	logger, err := segment.NewLogger(segment.Config{
		WriteKey:   "my-write-key",
		Endpoint:   api.URL,
		HTTPClient: api.Client(), // trusts the stand-in's certificate
	})
	if err != nil {
		panic(err)
	}
	logger.LogAssignment(core.AssignmentEvent{
		FeatureFlag: "checkout", Allocation: "rollout", Experiment: "checkout-rollout",
		Variation: "on", Subject: "user-1", Timestamp: time.Now(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("close:", logger.Close(ctx))
	fmt.Println("delivered over TLS:", logger.Stats().Delivered)
	// Output:
	// close: <nil>
	// delivered over TLS: 1
}

// A Config that cannot work is refused at once, naming the field.
func ExampleNewSink_invalidConfig() {
	_, err := segment.NewSink(segment.Config{WriteKey: "k", Endpoint: "api.segment.io"})
	fmt.Println(errors.Is(err, segment.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// segment: invalid configuration: Endpoint "api.segment.io" is not an http or https URL
}
