package eppotest_test

import (
	"fmt"
	"testing"

	"github.com/eppokit/eppokit/core/eppotest"
)

// TestParallelTestData runs 100 parallel tests that each own a TestData with the same flag key but its
// own value: any state shared between TestData values would show up as a wrong answer or a race.
func TestParallelTestData(t *testing.T) {
	for i := range 100 {
		t.Run(fmt.Sprintf("td-%d", i), func(t *testing.T) {
			t.Parallel()
			td := eppotest.New()
			td.Update(td.Flag("limit").Integer().ForAll(i))
			var rec eppotest.Recorder
			client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))
			for round := range 5 {
				want := int64(i*10 + round)
				td.Update(td.Flag("limit").Integer().ForAll(want).ForSubject("me", -want))
				if n, err := client.GetIntegerAssignment("limit", "someone", nil, -1); err != nil || n != want {
					t.Fatalf("round %d: limit = %d, %v; want %d", round, n, err, want)
				}
				if n, _ := client.GetIntegerAssignment("limit", "me", nil, -1); n != -want {
					t.Fatalf("round %d: limit for me = %d; want %d", round, n, -want)
				}
			}
			if n := len(rec.Assignments()); n != 10 {
				t.Errorf("recorded %d events, want 10", n)
			}
		})
	}
}
