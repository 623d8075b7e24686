package core

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// countsConfig has one flag per reason: a rule (targeting_match), shard ranges (split), an allocation that
// takes everyone (static), none that matches (default), a disabled flag, a broken flag and a variation that
// does not fit its type. version is served by the "static" flag so that swaps can be told apart.
func countsConfig(t testing.TB, version string) *Configuration {
	t.Helper()
	ufc := fmt.Sprintf(`{"format": "SERVER", "environment": {"name": "Test"}, "flags": {
	  "targeted": {"key": "targeted", "enabled": true, "variationType": "STRING", "totalShards": 10000,
	    "variations": {"on": {"key": "on", "value": "on"}, "off": {"key": "off", "value": "off"}},
	    "allocations": [
	      {"key": "vip", "rules": [{"conditions": [{"attribute": "tier", "operator": "ONE_OF", "value": ["vip"]}]}],
	       "splits": [{"variationKey": "on", "shards": []}], "doLog": false},
	      {"key": "rest", "splits": [{"variationKey": "off", "shards": []}], "doLog": false}]},
	  "sharded": {"key": "sharded", "enabled": true, "variationType": "STRING", "totalShards": 10000,
	    "variations": {"a": {"key": "a", "value": "a"}},
	    "allocations": [{"key": "half", "splits": [{"variationKey": "a",
	      "shards": [{"salt": "s", "ranges": [{"start": 0, "end": 10000}]}, {"salt": "t", "ranges": [{"start": 0, "end": 5000}]}]}],
	      "doLog": false}]},
	  "static": {"key": "static", "enabled": true, "variationType": "STRING", "totalShards": 10000,
	    "variations": {"%[1]s": {"key": "%[1]s", "value": "%[1]s"}},
	    "allocations": [{"key": "all", "splits": [{"variationKey": "%[1]s", "shards": []}], "doLog": false}]},
	  "nobody": {"key": "nobody", "enabled": true, "variationType": "STRING", "totalShards": 10000,
	    "variations": {}, "allocations": []},
	  "off": {"key": "off", "enabled": false, "variationType": "STRING", "totalShards": 10000,
	    "variations": {}, "allocations": []},
	  "broken": {"key": "broken", "enabled": true, "variationType": "NOT_A_TYPE", "totalShards": 10000,
	    "variations": {}, "allocations": []},
	  "badvalue": {"key": "badvalue", "enabled": true, "variationType": "INTEGER", "totalShards": 10000,
	    "variations": {"x": {"key": "x", "value": "not a number"}},
	    "allocations": [{"key": "all", "splits": [{"variationKey": "x", "shards": []}], "doLog": false}]}
	}}`, version)
	cfg, err := NewConfiguration([]byte(ufc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func countsClient(t testing.TB, cfg *Configuration) *Client {
	t.Helper()
	c, err := NewClient(Config{InitialConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkCounts(t *testing.T, c *Client, want []EvaluationCount) {
	t.Helper()
	if got := c.EvaluationCounts(); !slices.Equal(got, want) {
		t.Errorf("EvaluationCounts:\n got %+v\nwant %+v", got, want)
	}
}

// shardedSubjects returns n subjects that flag "sharded" assigns and one it does not.
func shardedSubjects(t *testing.T, c *Client, n int) (in []string, out string) {
	t.Helper()
	for i := 0; len(in) < n || out == ""; i++ {
		s := fmt.Sprint("user-", i)
		_, err := c.GetStringAssignment("sharded", s, nil, "")
		switch {
		case err == nil && len(in) < n:
			in = append(in, s)
		case errors.Is(err, ErrNoAllocation) && out == "":
			out = s
		}
	}
	return in, out
}

func TestEvaluationCountsByOutcome(t *testing.T) {
	c := countsClient(t, countsConfig(t, "v1"))
	in, out := shardedSubjects(t, c, 3)
	// Start over so that the search above is not counted.
	c = countsClient(t, countsConfig(t, "v1"))

	for range 3 {
		c.GetStringAssignment("targeted", "alice", Attributes{"tier": "vip"}, "")
	}
	c.GetStringAssignment("targeted", "bob", nil, "")
	for _, s := range in {
		c.GetStringAssignment("sharded", s, nil, "")
	}
	c.GetStringAssignment("sharded", out, nil, "")
	c.GetStringAssignmentDetails("static", "carol", nil, "")
	c.GetStringAssignment("nobody", "carol", nil, "")
	c.GetStringAssignment("off", "carol", nil, "")
	c.GetStringAssignment("broken", "carol", nil, "")
	c.GetIntegerAssignment("badvalue", "carol", nil, 0)
	c.GetIntegerAssignment("static", "carol", nil, 0) // type mismatch
	c.GetStringAssignment("static", "", nil, "")      // empty subject, known flag
	c.GetStringAssignment("missing", "carol", nil, "")
	c.GetStringAssignment("", "carol", nil, "")

	want := []EvaluationCount{
		{Reason: "error", ErrorType: "flag_not_found", Count: 2},
		{Flag: "badvalue", Reason: "error", ErrorType: "parse_error", Count: 1},
		{Flag: "broken", Reason: "error", ErrorType: "parse_error", Count: 1},
		{Flag: "nobody", Reason: "default", Count: 1},
		{Flag: "off", Reason: "disabled", Count: 1},
		{Flag: "sharded", Reason: "default", Count: 1},
		{Flag: "sharded", Variation: "a", Reason: "split", Count: 3},
		{Flag: "static", Reason: "error", ErrorType: "targeting_key_missing", Count: 1},
		{Flag: "static", Reason: "error", ErrorType: "type_mismatch", Count: 1},
		{Flag: "static", Variation: "v1", Reason: "static", Count: 1},
		{Flag: "targeted", Variation: "off", Reason: "static", Count: 1},
		{Flag: "targeted", Variation: "on", Reason: "targeting_match", Count: 3},
	}
	checkCounts(t, c, want)
}

func TestEvaluationCountsBeforeConfiguration(t *testing.T) {
	c := countsClient(t, nil)
	c.GetStringAssignment("static", "carol", nil, "")
	c.GetStringAssignment("static", "carol", nil, "")
	want := []EvaluationCount{{Reason: "error", ErrorType: "provider_not_ready", Count: 2}}
	checkCounts(t, c, want)
}

// Counts survive configuration changes, including a configuration served again (A, B, A) and a burst of
// changes with no evaluation in between.
func TestEvaluationCountsAcrossConfigurationChanges(t *testing.T) {
	a, b, cc := countsConfig(t, "v1"), countsConfig(t, "v2"), countsConfig(t, "v3")
	c := countsClient(t, a)
	eval := func(n int) {
		for range n {
			c.GetStringAssignment("static", "carol", nil, "")
		}
	}
	eval(1) // a
	c.SetConfiguration(b)
	eval(2) // b
	c.SetConfiguration(a)
	eval(4) // a again
	c.SetConfiguration(cc)
	c.SetConfiguration(b) // never evaluated on cc
	eval(8)               // b again
	c.SetConfiguration(cc)
	eval(16)
	want := []EvaluationCount{
		{Flag: "static", Variation: "v1", Reason: "static", Count: 5},
		{Flag: "static", Variation: "v2", Reason: "static", Count: 10},
		{Flag: "static", Variation: "v3", Reason: "static", Count: 16},
	}
	checkCounts(t, c, want)
}

// Clients sharing a configuration count separately.
func TestEvaluationCountsPerClient(t *testing.T) {
	cfg := countsConfig(t, "v1")
	c1, c2 := countsClient(t, cfg), countsClient(t, cfg)
	c1.GetStringAssignment("static", "carol", nil, "")
	c2.GetStringAssignment("static", "carol", nil, "")
	c2.GetStringAssignment("static", "carol", nil, "")
	for i, c := range []*Client{c1, c2} {
		checkCounts(t, c, []EvaluationCount{{Flag: "static", Variation: "v1", Reason: "static", Count: uint64(i + 1)}})
	}
}

// Concurrent evaluations, configuration changes and readers: every evaluation is counted exactly once
// (run with -race).
func TestEvaluationCountsConcurrent(t *testing.T) {
	cfgs := []*Configuration{countsConfig(t, "v1"), countsConfig(t, "v2")}
	c := countsClient(t, cfgs[0])
	const goroutines, each = 4, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if g == 0 && i%100 == 0 {
					c.SetConfiguration(cfgs[i/100%2])
					c.EvaluationCounts()
				}
				c.GetStringAssignment("static", "carol", nil, "")
				c.GetStringAssignment("missing", "carol", nil, "")
			}
		})
	}
	wg.Wait()
	var served, missing uint64
	for _, n := range c.EvaluationCounts() {
		switch {
		case n.Flag == "static" && n.Reason == "static":
			served += n.Count
		case n.ErrorType == "flag_not_found":
			missing += n.Count
		default:
			t.Errorf("unexpected count %+v", n)
		}
	}
	if served != goroutines*each || missing != goroutines*each {
		t.Errorf("counted %d served and %d missing, want %d each", served, missing, goroutines*each)
	}
}

// A bandit call's flag evaluation is counted like an assignment.
func TestEvaluationCountsBandit(t *testing.T) {
	c := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	if _, err := c.GetBanditAction("banner_bandit_flag", "alice", ContextAttributes{}, someActions(), "default"); err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, ec := range c.EvaluationCounts() {
		if ec.Flag == "banner_bandit_flag" && ec.ErrorType == "" && ec.Variation != "" {
			n += ec.Count
		} else {
			t.Errorf("unexpected count %+v", ec)
		}
	}
	if n != 1 {
		t.Errorf("bandit flag counted %d times, want 1", n)
	}
}
