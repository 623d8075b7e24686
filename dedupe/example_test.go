package dedupe_test

import (
	"fmt"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

type printLogger struct{}

func (printLogger) LogAssignment(e core.AssignmentEvent) {
	fmt.Println("logged", e.Subject, e.Variation)
}

func ExampleAssignmentLogger() {
	logger := dedupe.AssignmentLogger(printLogger{}, dedupe.Options{Capacity: 1000})
	for _, v := range []string{"A", "A", "B", "A"} {
		logger.LogAssignment(core.AssignmentEvent{FeatureFlag: "f", Allocation: "x", Variation: v, Subject: "alice"})
	}
	st := logger.Stats()
	fmt.Println("hits", st.Hits, "misses", st.Misses, "changes", st.Changes)
	// Output:
	// logged alice A
	// logged alice B
	// logged alice A
	// hits 1 misses 1 changes 2
}

// A pipeline marks an exposure when its queue accepts the event and forgets it when the event is dropped
// later, so the same exposure is logged again once the sink recovers.
func ExampleCache_Forget() {
	cache := dedupe.New(dedupe.Options{})
	var queue []core.AssignmentEvent
	log := func(e core.AssignmentEvent) {
		d := cache.AdmitAssignment(&e, func() bool { queue = append(queue, e); return true })
		fmt.Println(e.Variation, d)
	}
	e := core.AssignmentEvent{FeatureFlag: "f", Allocation: "x", Variation: "A", Subject: "alice"}
	log(e)
	log(e)

	// The sink gave up on the queued event: forget it, unless the key moved to another variation since.
	dropped := queue[0]
	fmt.Println("forgotten:", cache.ForgetAssignment(&dropped))
	log(e)
	// Output:
	// A logged_new
	// A suppressed
	// forgotten: true
	// A logged_new
}
