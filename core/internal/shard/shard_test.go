package shard

import (
	"strings"
	"testing"
)

// Known shard values of Eppo's hashing scheme.
func TestOfKnownValues(t *testing.T) {
	cases := []struct {
		parts []string
		total uint32
		want  uint32
	}{
		{[]string{"some-salt", "alice"}, 10000, 88},
		{[]string{"split-numeric-flag-some-allocation", "1"}, 10000, 8786},
		{[]string{"split-numeric-flag-some-allocation", "5"}, 10000, 4241},
	}
	for _, c := range cases {
		if got := Of(c.total, c.parts...); got != c.want {
			t.Errorf("Of(%d, %q) = %d, want %d", c.total, c.parts, got, c.want)
		}
	}
}

func TestOfLongInputMatchesShortPath(t *testing.T) {
	long := strings.Repeat("x", 1000)
	// The same bytes split differently across parts must hash the same.
	a := Of(10000, long[:600], long[601:])
	b := Of(10000, long[:600]+"-"+long[601:])
	if a != b {
		t.Fatalf("long-input path disagrees: %d vs %d", a, b)
	}
	if Of(1, "anything") != 0 {
		t.Fatal("total 1 must give shard 0")
	}
}

func TestOfDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { Of(10000, "traffic-new-user-onboarding-experiment", "subject-1234") })
	if allocs != 0 {
		t.Fatalf("Of allocates %.0f times per call", allocs)
	}
}
