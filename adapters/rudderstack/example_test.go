package rudderstack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/eppokit/eppokit/adapters/rudderstack"
	"github.com/eppokit/eppokit/core"
)

func ExampleNewLogger() {
	// A stand-in for your data plane.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()

	logger, err := rudderstack.NewLogger(rudderstack.Config{WriteKey: "my-write-key", DataPlaneURL: api.URL})
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
	// Output: rudderstack: delivered 1, dropped 0
}
