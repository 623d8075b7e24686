package rudderstack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/eppokit/eppokit/adapters/rudderstack"
	"github.com/eppokit/eppokit/core"
)

// A Config names the write key and the data plane; every other zero field means its default (gzip on,
// batches of 256). Bring your own *http.Client for a proxy, a self-hosted data plane's CA or timeouts:
// here it trusts a TLS stand-in for the data plane. The bandit action below is logged like an assignment.
func ExampleNewLogger() {
	dataPlane := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer dataPlane.Close()

	logger, err := rudderstack.NewLogger(rudderstack.Config{
		WriteKey:     "my-write-key",
		DataPlaneURL: dataPlane.URL,
		HTTPClient:   dataPlane.Client(), // trusts the stand-in's certificate
	})
	if err != nil {
		panic(err)
	}
	logger.LogBanditAction(core.BanditEvent{
		FlagKey: "banner", BanditKey: "banner-bandit", Subject: "user-1", Action: "nike",
		ActionProbability: 0.7, ModelVersion: "v1", Timestamp: time.Now(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := logger.Close(ctx); err != nil {
		fmt.Println("not every exposure was delivered:", err)
	}
	fmt.Println("bandit actions delivered over TLS:", logger.Stats().Delivered)
	// Output: bandit actions delivered over TLS: 1
}

// RudderStack needs its data plane: a Config without one is refused at once, naming the field.
func ExampleNewSink_invalidConfig() {
	_, err := rudderstack.NewSink(rudderstack.Config{WriteKey: "k"})
	if errors.Is(err, rudderstack.ErrInvalidConfig) {
		fmt.Println(err)
	}
	// Output: rudderstack: invalid configuration: DataPlaneURL is required
}
