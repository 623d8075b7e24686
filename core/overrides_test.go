package core

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// overrideFlags has one enabled and one disabled STRING flag, each with two allocations.
const overrideFlags = `{"environment": {"name": "Test"}, "flags": {
 "checkout": {"key": "checkout", "enabled": true, "variationType": "STRING", "totalShards": 10000,
  "variations": {"control": {"key": "control", "value": "control"}, "treatment": {"key": "treatment", "value": "treatment"}},
  "allocations": [
   {"key": "beta", "rules": [{"conditions": [{"attribute": "beta", "operator": "ONE_OF", "value": ["true"]}]}],
    "splits": [{"variationKey": "treatment", "shards": []}]},
   {"key": "everyone", "splits": [{"variationKey": "control", "shards": []}]}]},
 "old": {"key": "old", "enabled": false, "variationType": "STRING", "totalShards": 10000,
  "variations": {"on": {"key": "on", "value": "yes"}, "off": {"key": "off", "value": "no"}},
  "allocations": [{"key": "everyone", "splits": [{"variationKey": "on", "shards": []}]}]}}}`

func newOverrideTestClient(t *testing.T, flags string, logger *recordingLogger) *Client {
	t.Helper()
	cfg, err := NewConfiguration([]byte(flags), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: logger, BanditLogger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *recordingLogger) counts() (assignments, bandits int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.assignments), len(r.bandits)
}

func TestWithOverridesMatchesAndLogsNothing(t *testing.T) {
	rec := &recordingLogger{}
	c := newOverrideTestClient(t, overrideFlags, rec)
	o := c.WithOverrides(map[string]string{"checkout": "treatment"})

	v, d, err := o.GetStringAssignmentDetails("checkout", "alice", nil, "default")
	if err != nil || v != "treatment" {
		t.Fatalf("overridden checkout = %q, %v; want treatment", v, err)
	}
	if d.FlagEvaluationCode != CodeMatch || d.FlagEvaluationDescription != "Flag override applied" ||
		d.VariationKey == nil || *d.VariationKey != "treatment" || d.VariationValue != "treatment" ||
		d.MatchedRule != nil || d.EnvironmentName != "Test" {
		t.Errorf("details = %+v", d)
	}
	if d.MatchedAllocation == nil || *d.MatchedAllocation != (AllocationDetails{Key: "override-treatment",
		AllocationEvaluationCode: AllocationMatch, OrderPosition: 0}) {
		t.Errorf("matched allocation = %+v, want override-treatment at position 0", d.MatchedAllocation)
	}
	wantUneval := []AllocationDetails{{"beta", AllocationUnevaluated, 1}, {"everyone", AllocationUnevaluated, 2}}
	if !slices.Equal(d.UnevaluatedAllocations, wantUneval) || len(d.UnmatchedAllocations) != 0 {
		t.Errorf("unevaluated = %+v, unmatched = %+v; want both allocations unevaluated",
			d.UnevaluatedAllocations, d.UnmatchedAllocations)
	}
	if a, _ := rec.counts(); a != 0 {
		t.Fatalf("an overridden assignment logged %d events, want 0", a)
	}

	// The original client is unaffected and still logs.
	if v, err := c.GetStringAssignment("checkout", "alice", nil, "default"); err != nil || v != "control" {
		t.Errorf("original client: checkout = %q, %v; want control", v, err)
	}
	if c.Overrides() != nil {
		t.Errorf("original client has overrides %v", c.Overrides())
	}
	if a, _ := rec.counts(); a != 1 {
		t.Errorf("original client logged %d events, want 1", a)
	}
}

func TestWithOverridesEdgeCases(t *testing.T) {
	rec := &recordingLogger{}
	c := newOverrideTestClient(t, overrideFlags, rec)
	o := c.WithOverrides(map[string]string{"old": "off", "missing": "x"})

	// A disabled flag is overridden too.
	if v, err := o.GetStringAssignment("old", "alice", nil, "default"); err != nil || v != "no" {
		t.Errorf("overridden disabled flag = %q, %v; want no", v, err)
	}
	if _, err := c.GetStringAssignment("old", "alice", nil, "default"); !errors.Is(err, ErrFlagDisabled) {
		t.Errorf("original client on the disabled flag: %v, want ErrFlagDisabled", err)
	}
	// The type asked for must still match.
	if v, err := o.GetIntegerAssignment("old", "alice", nil, 7); !errors.Is(err, ErrTypeMismatch) || v != 7 {
		t.Errorf("integer getter on overridden STRING flag = %d, %v; want 7, ErrTypeMismatch", v, err)
	}
	// A flag missing from the configuration has no variation to force.
	if _, err := o.GetStringAssignment("missing", "alice", nil, "default"); !errors.Is(err, ErrFlagNotFound) {
		t.Errorf("override of a missing flag: %v, want ErrFlagNotFound", err)
	}
	// A flag that is not overridden evaluates and logs as usual.
	if v, err := o.GetStringAssignment("checkout", "alice", Attributes{"beta": true}, "default"); err != nil || v != "treatment" {
		t.Errorf("non-overridden checkout = %q, %v; want treatment", v, err)
	}
	if a, _ := rec.counts(); a != 1 {
		t.Errorf("%d events, want 1 (the non-overridden assignment)", a)
	}

	// An unknown variation key serves the default with a clear error.
	bad := c.WithOverrides(map[string]string{"checkout": "nope"})
	v, d, err := bad.GetStringAssignmentDetails("checkout", "alice", nil, "default")
	if v != "default" || !errors.Is(err, ErrUnknownOverride) || d.FlagEvaluationCode != CodeAssignmentError {
		t.Errorf("unknown override variation = %q, %v, %s; want default, ErrUnknownOverride, ASSIGNMENT_ERROR",
			v, err, d.FlagEvaluationCode)
	}

	// Overrides merge, the newer winning, and the parent keeps its own.
	merged := o.WithOverrides(map[string]string{"old": "on", "checkout": "control"})
	want := map[string]string{"old": "on", "missing": "x", "checkout": "control"}
	if got := merged.Overrides(); !reflect.DeepEqual(got, want) {
		t.Errorf("merged overrides = %v, want %v", got, want)
	}
	if got := o.Overrides(); !reflect.DeepEqual(got, map[string]string{"old": "off", "missing": "x"}) {
		t.Errorf("parent's overrides changed to %v", got)
	}
	if c.WithOverrides(nil).Overrides() != nil {
		t.Error("WithOverrides(nil) on a plain client should carry no overrides")
	}
}

func TestWithOverridesFollowsConfiguration(t *testing.T) {
	c := newOverrideTestClient(t, overrideFlags, nil)
	o := c.WithOverrides(map[string]string{"checkout": "treatment"})
	changes := make(chan ConfigurationInfo, 4)
	c.OnConfigurationChange(func(_, n ConfigurationInfo) { changes <- n })

	// A configuration installed on the parent is served by the derived client, and the reverse.
	next, err := NewConfiguration([]byte(`{"flags": {"checkout": {"key": "checkout", "enabled": true,
		"variationType": "STRING", "variations": {"treatment": {"key": "treatment", "value": "T2"}}, "allocations": []}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetConfiguration(next)
	if v, err := o.GetStringAssignment("checkout", "alice", nil, "default"); err != nil || v != "T2" {
		t.Errorf("after the parent's update: %q, %v; want T2", v, err)
	}
	<-changes
	first, _ := NewConfiguration([]byte(overrideFlags), nil)
	o.SetConfiguration(first)
	if c.Configuration() != first {
		t.Error("a configuration set on the derived client is not served by the parent")
	}
	if n := <-changes; n.Flags != 2 {
		t.Errorf("listener saw %d flags, want 2", n.Flags)
	}
}

func TestWithOverridesCloseLeavesParentPolling(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	c, _ := newPollingClient(t, cdn, nil)
	if err := c.WaitForInitialization(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := c.WithOverrides(map[string]string{"integer-flag": "one"})
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !c.Stats().Polling {
		t.Error("closing the derived client stopped the parent's polling")
	}
	if v, err := o.GetIntegerAssignment("integer-flag", "alice", nil, 0); err != nil || v != 1 {
		t.Errorf("derived client after its Close: %d, %v; want 1", v, err)
	}
}

func TestWithOverridesBanditLogsNothing(t *testing.T) {
	rec := &recordingLogger{}
	c := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c.assignLogger, c.banditLogger = rec, rec
	o := c.WithOverrides(map[string]string{"banner_bandit_flag": "banner_bandit"})
	subject := ContextAttributes{NumericAttributes: map[string]float64{"age": 25},
		CategoricalAttributes: map[string]string{"country": "USA"}}
	actions := map[string]ContextAttributes{"nike": {}, "adidas": {}}
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		r, err := o.GetBanditAction("banner_bandit_flag", s, subject, actions, "default")
		if err != nil || r.Variation != "banner_bandit" || r.Action == nil {
			t.Fatalf("subject %s: %+v, %v; want the bandit variation with an action", s, r, err)
		}
	}
	if a, b := rec.counts(); a != 0 || b != 0 {
		t.Errorf("overridden bandit flag logged %d assignment and %d bandit events, want none", a, b)
	}
}

// TestWithOverridesCopiesEveryField fails when Client gains a field: decide in WithOverrides whether the
// derived client shares it, then add it here.
func TestWithOverridesCopiesEveryField(t *testing.T) {
	want := []string{"config", "assignLogger", "banditLogger", "assignFilter", "banditFilter", "logger", "now",
		"loggerPanics", "evals", "lifecycle", "overrides"}
	var got []string
	for f := range reflect.TypeFor[Client]().Fields() {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Client fields = %v, want %v: update WithOverrides (overrides.go) and this list", got, want)
	}
}

// BenchmarkGetStringAssignmentOverridden is the cost of an overridden assignment (compare with
// BenchmarkGetStringAssignment, which also shows what clients without overrides pay).
func BenchmarkGetStringAssignmentOverridden(b *testing.B) {
	c := loadClient(b, "flags-v1.json", "")
	o := c.WithOverrides(map[string]string{"new-user-onboarding": "purple"})
	attrs := benchAttributes()
	b.ReportAllocs()
	for b.Loop() {
		if v, err := o.GetStringAssignment("new-user-onboarding", "alice", attrs, "default"); err != nil || v != "purple" {
			b.Fatal(v, err)
		}
	}
}
