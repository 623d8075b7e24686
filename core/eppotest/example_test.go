package eppotest_test

import (
	"fmt"
	"testing"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/core/eppotest"
)

// Force treatment for user-1 and control for everyone else, without writing configuration JSON.
func Example() {
	td := eppotest.New()
	td.Update(td.Flag("checkout").String().Variations("control", "treatment").
		ForAll("control").
		ForSubject("user-1", "treatment"))

	// In a test, eppotest.NewClient(t, td) builds this client, keeps it updated and closes it.
	client, err := core.NewClient(core.Config{InitialConfiguration: td.Configuration()})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, user := range []string{"user-1", "user-2"} {
		v, d, err := client.GetStringAssignmentDetails("checkout", user, nil, "default")
		fmt.Println(user, v, err, d.FlagEvaluationCode, *d.VariationKey, d.MatchedAllocation.Key)
	}
	// Output:
	// user-1 treatment <nil> MATCH treatment subjects-treatment
	// user-2 control <nil> MATCH control everyone
}

func ExampleNewClient() {
	// The body of a test function such as:
	testCheckout := func(t *testing.T) {
		td := eppotest.New()
		td.Update(td.Flag("limit").Integer().ForAll(5))
		var rec eppotest.Recorder
		client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))

		td.Update(td.Flag("limit").Integer().ForAll(7)) // the running client serves it at once
		if n, err := client.GetIntegerAssignment("limit", "user-1", nil, 0); err != nil || n != 7 {
			t.Errorf("limit = %d, %v; want 7", n, err)
		}
		if got := len(rec.Assignments()); got != 1 {
			t.Errorf("%d exposures logged, want 1", got)
		}
	}
	_ = testCheckout
}

func Example_overrides() {
	td := eppotest.New()
	td.Update(td.Flag("checkout").String().Variations("control", "treatment").ForAll("control"))
	var rec eppotest.Recorder
	client, _ := core.NewClient(core.Config{InitialConfiguration: td.Configuration(), AssignmentLogger: &rec})

	qa := client.WithOverrides(map[string]string{"checkout": "treatment"})
	v, d, _ := qa.GetStringAssignmentDetails("checkout", "user-1", nil, "default")
	fmt.Println(v, d.FlagEvaluationCode, d.MatchedAllocation.Key, d.FlagEvaluationDescription)
	v, _ = client.GetStringAssignment("checkout", "user-1", nil, "default")
	fmt.Println(v, len(rec.Assignments()), "exposure logged")
	// Output:
	// treatment MATCH override-treatment Flag override applied
	// control 1 exposure logged
}
