package batching_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// printSink is a toy Sink that prints what it receives.
type printSink struct{ mu sync.Mutex }

func (s *printSink) Export(_ context.Context, b batching.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range b.Events {
		fmt.Println(ev.Assignment.Subject, ev.Assignment.Variation)
	}
	return nil
}

func (s *printSink) Close(context.Context) error { return nil }

func ExampleNew() {
	p := batching.New(&printSink{},
		batching.WithName("example"),
		batching.WithDedupe(dedupe.Options{Capacity: 10000}),
	)
	var logger core.AssignmentLogger = p // what the client is configured with

	event := core.AssignmentEvent{FeatureFlag: "checkout", Allocation: "rollout", Variation: "blue", Subject: "alice"}
	logger.LogAssignment(event)
	logger.LogAssignment(event) // duplicate: suppressed

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		fmt.Println("close:", err)
	}
	st := p.Stats()
	fmt.Println("accepted", st.Accepted, "delivered", st.Delivered, "deduplicated", st.Deduplicated, "pending", st.Pending)
	// Output:
	// alice blue
	// accepted 1 delivered 1 deduplicated 1 pending 0
}

func ExampleNewFanout() {
	fast := batching.New(&printSink{}, batching.WithName("fast"))
	other := batching.New(nil, batching.WithName("discard")) // nil sink: discards, counted delivered
	f := batching.NewFanout(fast, other)

	f.LogAssignment(core.AssignmentEvent{FeatureFlag: "checkout", Variation: "green", Subject: "bob"})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.Close(ctx)
	for _, st := range f.Stats() {
		fmt.Println(st.Name, st.Delivered)
	}
	// Output:
	// bob green
	// fast 1
	// discard 1
}
