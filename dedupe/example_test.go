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
