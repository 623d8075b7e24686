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

// A Config names the write key; every zero field means its default (Endpoint: api.segment.io). Bring
// your own *http.Client for a proxy, your CA or timeouts: here it trusts a TLS stand-in for Segment; in
// production a client set up like
//
//	&http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsConfig}}
//
// sends through your proxy with your CA.
func ExampleNewLogger() {
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()

	logger, err := segment.NewLogger(segment.Config{
		WriteKey:   "my-write-key",
		Endpoint:   api.URL,      // leave it empty for api.segment.io
		HTTPClient: api.Client(), // trusts the stand-in's certificate
	})
	if err != nil {
		panic(err)
	}
	// Hand logger to the eppokit client as its AssignmentLogger (and BanditLogger).
	logger.LogAssignment(core.AssignmentEvent{
		FeatureFlag: "checkout", Allocation: "rollout", Experiment: "checkout-rollout",
		Variation: "on", Subject: "user-1", Timestamp: time.Now(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("close:", logger.Close(ctx))
	st := logger.Stats()
	fmt.Printf("%s: delivered %d, dropped %d\n", st.Name, st.Delivered, st.DroppedTotal())
	// Output:
	// close: <nil>
	// segment: delivered 1, dropped 0
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
