package eppotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/core/eppotest"
)

func TestForSubjectThenEveryoneElse(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("checkout").String().Variations("control", "treatment").
		ForAll("control").ForSubject("user-1", "treatment"))
	var rec eppotest.Recorder
	client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))

	v, d, err := client.GetStringAssignmentDetails("checkout", "user-1", nil, "default")
	if err != nil || v != "treatment" {
		t.Fatalf("user-1 = %q, %v; want treatment", v, err)
	}
	wantRule := &core.Rule{Conditions: []core.Condition{{Attribute: "id", Operator: "ONE_OF", Value: json.RawMessage(`["user-1"]`)}}}
	if d.FlagEvaluationCode != core.CodeMatch || *d.VariationKey != "treatment" ||
		d.MatchedAllocation.Key != "subjects-treatment" || !reflect.DeepEqual(d.MatchedRule, wantRule) {
		t.Errorf("user-1 details: code %s, variation %s, allocation %+v, rule %+v",
			d.FlagEvaluationCode, *d.VariationKey, d.MatchedAllocation, d.MatchedRule)
	}
	for _, user := range []string{"user-2", "user-10", "User-1"} {
		v, d, err := client.GetStringAssignmentDetails("checkout", user, nil, "default")
		if err != nil || v != "control" || d.MatchedAllocation.Key != "everyone" || d.MatchedRule != nil {
			t.Errorf("%s = %q, %v, allocation %+v; want control from everyone", user, v, err, d.MatchedAllocation)
		}
	}
	events := rec.Assignments()
	if len(events) != 4 || events[0].Subject != "user-1" || events[0].Variation != "treatment" ||
		events[0].Allocation != "subjects-treatment" || events[1].Variation != "control" {
		t.Errorf("recorded %+v; want four exposures, user-1's to treatment first", events)
	}
}

func TestUpdateReachesRunningClient(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("limit").Integer().ForAll(5))
	client := eppotest.NewClient(t, td)
	var calls atomic.Int32
	var seen core.ConfigurationInfo
	var mu sync.Mutex
	client.OnConfigurationChange(func(_, n core.ConfigurationInfo) {
		calls.Add(1)
		mu.Lock()
		seen = n
		mu.Unlock()
	})
	if n, err := client.GetIntegerAssignment("limit", "u", nil, 0); err != nil || n != 5 {
		t.Fatalf("before the update: %d, %v; want 5", n, err)
	}

	td.Update(td.Flag("limit").Integer().ForAll(7))
	if n, err := client.GetIntegerAssignment("limit", "u", nil, 0); err != nil || n != 7 {
		t.Errorf("right after the update: %d, %v; want 7", n, err)
	}
	// Close returns once every queued listener call is done, so the count is final.
	if err := client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := calls.Load(); c != 1 {
		t.Errorf("OnConfigurationChange called %d times for one Update, want 1", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Source != core.SourceManual || seen.Flags != 1 || seen.Environment != "Test" {
		t.Errorf("listener saw %+v", seen)
	}
}

func TestFlagStartsFromLastUpdate(t *testing.T) {
	td := eppotest.New()
	client := eppotest.NewClient(t, td)
	if _, err := client.GetStringAssignment("checkout", "u", nil, "d"); !errors.Is(err, core.ErrFlagNotFound) {
		t.Fatalf("a flag never updated: %v, want ErrFlagNotFound", err)
	}
	td.Update(td.Flag("checkout").ForAll("control").ForSubject("user-1", "treatment"))
	td.Update(td.Flag("checkout").ForSubject("user-2", "treatment"))

	b := td.Flag("checkout").ForSubject("user-3", "treatment") // not given to Update: no effect
	_ = b
	want := map[string]string{"user-1": "treatment", "user-2": "treatment", "user-3": "control"}
	for user, w := range want {
		if v, err := client.GetStringAssignment("checkout", user, nil, "d"); err != nil || v != w {
			t.Errorf("%s = %q, %v; want %s", user, v, err, w)
		}
	}
	// Targeting a subject again moves it; ForAll drops targets and rules.
	td.Update(td.Flag("checkout").ForSubject("user-1", "control"))
	if v, _ := client.GetStringAssignment("checkout", "user-1", nil, "d"); v != "control" {
		t.Errorf("user-1 retargeted = %q, want control", v)
	}
	td.Update(td.Flag("checkout").ForAll("treatment"))
	if v, _ := client.GetStringAssignment("checkout", "user-2", nil, "d"); v != "treatment" {
		t.Errorf("after ForAll user-2 = %q, want treatment", v)
	}
	if v, _ := client.GetStringAssignment("checkout", "user-9", nil, "d"); v != "treatment" {
		t.Errorf("after ForAll user-9 = %q, want treatment", v)
	}
}

func TestTypedFlags(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("limit").Integer().ForAll(5))
	td.Update(td.Flag("ratio").Numeric().ForAll(2.5))
	td.Update(td.Flag("whole").Numeric().ForAll(3)) // an integer given to a NUMERIC flag
	td.Update(td.Flag("beta").Boolean().IfAttr("country", "FR").Then(true).Else(false))
	td.Update(td.Flag("layout").JSON().ForAll(map[string]any{"columns": 3, "theme": "dark"}))
	td.Update(td.Flag("raw").ForAll(json.RawMessage(`{ "a" : [1, 2] }`)))
	td.Update(td.Flag("inferred").ForAll(int64(9)))
	td.Update(td.Flag("empty").String().ForAll(""))
	client := eppotest.NewClient(t, td)

	if n, err := client.GetIntegerAssignment("limit", "u", nil, 0); err != nil || n != 5 {
		t.Errorf("limit = %d, %v", n, err)
	}
	if f, err := client.GetNumericAssignment("ratio", "u", nil, 0); err != nil || f != 2.5 {
		t.Errorf("ratio = %v, %v", f, err)
	}
	if f, err := client.GetNumericAssignment("whole", "u", nil, 0); err != nil || f != 3 {
		t.Errorf("whole = %v, %v", f, err)
	}
	for attrs, want := range map[string]bool{"FR": true, "DE": false} {
		if b, err := client.GetBooleanAssignment("beta", "u", core.Attributes{"country": attrs}, !want); err != nil || b != want {
			t.Errorf("beta for %s = %v, %v; want %v", attrs, b, err, want)
		}
	}
	if b, err := client.GetBooleanAssignment("beta", "u", nil, true); err != nil || b {
		t.Errorf("beta without country = %v, %v; want false (Else)", b, err)
	}
	layout, err := client.GetJSONAssignment("layout", "u", nil, nil)
	if err != nil || !reflect.DeepEqual(layout, map[string]any{"columns": 3.0, "theme": "dark"}) {
		t.Errorf("layout = %#v, %v", layout, err)
	}
	if raw, err := client.GetJSONBytesAssignment("raw", "u", nil, nil); err != nil || string(raw) != `{"a":[1,2]}` {
		t.Errorf("raw = %s, %v", raw, err)
	}
	if n, err := client.GetIntegerAssignment("inferred", "u", nil, 0); err != nil || n != 9 {
		t.Errorf("inferred INTEGER = %d, %v", n, err)
	}
	if s, err := client.GetStringAssignment("empty", "u", nil, "d"); err != nil || s != "" {
		t.Errorf("empty string variation = %q, %v", s, err)
	}
	if _, err := client.GetStringAssignment("limit", "u", nil, "d"); !errors.Is(err, core.ErrTypeMismatch) {
		t.Errorf("STRING getter on INTEGER flag: %v, want ErrTypeMismatch", err)
	}
}

func TestRulesInOrderWithAnd(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("plan").String().
		IfAttr("country", "FR", "DE").AndAttr("age", 30, 31).Then("eu-30").
		IfAttr("country", "FR").Then("fr").
		IfAttr("vip", true).Then("vip"))
	client := eppotest.NewClient(t, td)
	cases := []struct {
		attrs core.Attributes
		want  string
		err   error
	}{
		{core.Attributes{"country": "DE", "age": 30}, "eu-30", nil},
		{core.Attributes{"country": "FR", "age": 31.0}, "eu-30", nil},
		{core.Attributes{"country": "FR", "age": 40}, "fr", nil},
		{core.Attributes{"vip": true}, "vip", nil},
		{core.Attributes{"vip": "true"}, "vip", nil},
		{core.Attributes{"country": "DE"}, "default", core.ErrNoAllocation}, // no fallthrough set
	}
	for _, c := range cases {
		v, err := client.GetStringAssignment("plan", "u", c.attrs, "default")
		if v != c.want || !errors.Is(err, c.err) {
			t.Errorf("%v: %q, %v; want %q, %v", c.attrs, v, err, c.want, c.err)
		}
	}
	_, d, _ := client.GetStringAssignmentDetails("plan", "u", core.Attributes{"vip": true}, "default")
	if d.MatchedAllocation.Key != "rule-3" || d.MatchedAllocation.OrderPosition != 3 {
		t.Errorf("vip matched %+v, want rule-3 at position 3", d.MatchedAllocation)
	}
}

func TestDisabled(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("old").Integer().ForAll(3).Disabled())
	td.Update(td.Flag("fresh").Disabled())
	client := eppotest.NewClient(t, td)
	if n, err := client.GetIntegerAssignment("old", "u", nil, -1); n != -1 || !errors.Is(err, core.ErrFlagDisabled) {
		t.Errorf("disabled = %d, %v; want -1, ErrFlagDisabled", n, err)
	}
	if _, err := client.GetStringAssignment("fresh", "u", nil, "d"); !errors.Is(err, core.ErrFlagDisabled) {
		t.Errorf("disabled new flag: %v, want ErrFlagDisabled (STRING by default)", err)
	}
	td.Update(td.Flag("old").Enabled())
	if n, err := client.GetIntegerAssignment("old", "u", nil, -1); n != 3 || err != nil {
		t.Errorf("re-enabled = %d, %v; want 3", n, err)
	}
}

func TestSplitIsDeterministic(t *testing.T) {
	build := func() *core.Client {
		td := eppotest.New()
		td.Update(td.Flag("ab").String().Split(map[string]int{"a": 50, "b": 50}))
		return eppotest.NewClient(t, td)
	}
	c1, c2 := build(), build()
	seen := map[string]bool{}
	for i := range 200 {
		s := fmt.Sprintf("subject-%d", i)
		v1, err1 := c1.GetStringAssignment("ab", s, nil, "d")
		v2, err2 := c2.GetStringAssignment("ab", s, nil, "d")
		if err1 != nil || err2 != nil || v1 != v2 {
			t.Fatalf("%s: %q/%v and %q/%v from two identical TestData", s, v1, err1, v2, err2)
		}
		seen[v1] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Errorf("200 subjects reached only %v", seen)
	}
	// A partial split leaves the rest on the default.
	td := eppotest.New()
	td.Update(td.Flag("rollout").Split(map[string]int{"on": 10}))
	c := eppotest.NewClient(t, td)
	defaults := 0
	for i := range 1000 {
		if _, err := c.GetStringAssignment("rollout", fmt.Sprintf("s%d", i), nil, "off"); errors.Is(err, core.ErrNoAllocation) {
			defaults++
		}
	}
	if defaults < 850 || defaults > 950 {
		t.Errorf("%d of 1000 subjects outside a 10%% rollout, want about 900", defaults)
	}
}

func TestBuilderMisusePanics(t *testing.T) {
	cases := []struct {
		name  string
		build func(td *eppotest.TestData) *eppotest.FlagBuilder
		want  string
	}{
		{"string value on INTEGER", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Integer().ForAll("five")
		}, `flag "f": ForAll`},
		{"int on STRING", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").String().ForSubject("u", 5)
		}, "the flag is STRING"},
		{"float on INTEGER", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Integer().Else(2.5)
		}, "INTEGER"},
		{"NaN", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Numeric().ForAll(nan())
		}, "finite"},
		{"split over 100", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Split(map[string]int{"a": 60, "b": 50})
		}, "more than 100"},
		{"negative share", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Split(map[string]int{"a": -1})
		}, "negative"},
		{"unknown split key", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").Boolean().Split(map[string]int{"maybe": 50})
		}, `"maybe" is not a variation`},
		{"rule without values", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").IfAttr("country").Then("x")
		}, "no values"},
		{"rule value of no use", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").IfAttr("a", "x").AndAttr("tags", []string{"x"}).Then("x")
		}, "AndAttr"},
		{"JSON that does not marshal", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").JSON().ForAll(func() {})
		}, "cannot be a JSON variation"},
		{"invalid raw JSON", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("f").JSON().ForAll(json.RawMessage("{"))
		}, "is not JSON"},
		{"empty key", func(td *eppotest.TestData) *eppotest.FlagBuilder {
			return td.Flag("").ForAll(true)
		}, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := eppotest.New()
			before := td.UFC()
			msg := panicMessage(func() { td.Update(c.build(td)) })
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, "eppotest_test.go:") {
				t.Errorf("panic %q; want it to mention %q and the test's line", msg, c.want)
			}
			if string(td.UFC()) != string(before) {
				t.Error("a rejected builder changed the flags")
			}
		})
	}
}

func nan() float64 { zero := 0.0; return zero / zero }

func panicMessage(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return "no panic"
}

func TestBuilderIsCopiedByUpdate(t *testing.T) {
	td := eppotest.New()
	b := td.Flag("f").ForAll("a")
	td.Update(b)
	b.ForAll("b") // after Update: no effect
	client := eppotest.NewClient(t, td)
	if v, _ := client.GetStringAssignment("f", "u", nil, "d"); v != "a" {
		t.Errorf("f = %q; a builder changed after Update leaked into the flags", v)
	}
	// Changing the type starts the flag over.
	td.Update(td.Flag("f").Integer().ForAll(1))
	if n, err := client.GetIntegerAssignment("f", "u", nil, 0); err != nil || n != 1 {
		t.Errorf("retyped f = %d, %v", n, err)
	}
}

func TestUFCIsStable(t *testing.T) {
	build := func(order []string) []byte {
		td := eppotest.New()
		for _, k := range order {
			td.Update(td.Flag(k).Split(map[string]int{"x": 30, "y": 30, "z": 40}))
		}
		return td.UFC()
	}
	a, b := build([]string{"one", "two"}), build([]string{"two", "one"})
	if string(a) != string(b) {
		t.Error("the same flags updated in another order give other UFC bytes")
	}
	cfg, err := core.NewConfiguration(a, nil)
	if err != nil || len(cfg.FlagErrors()) != 0 || !reflect.DeepEqual(cfg.FlagKeys(), []string{"one", "two"}) {
		t.Errorf("UFC parses to %v, %v", cfg, err)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	td := eppotest.New()
	td.Update(td.Flag("f").ForAll("a"))
	var rec eppotest.Recorder
	client := eppotest.NewClient(t, td, eppotest.WithRecorder(&rec))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				_, _ = client.GetStringAssignment("f", fmt.Sprintf("g%d-%d", g, i), nil, "d")
				_ = rec.Assignments()
			}
		})
	}
	wg.Wait()
	if n := len(rec.Assignments()); n != 400 {
		t.Errorf("recorded %d events, want 400", n)
	}
	rec.Reset()
	if n := len(rec.Assignments()); n != 0 {
		t.Errorf("after Reset: %d events", n)
	}
}

// fatalRecorder is a testing.TB whose Fatalf only records, to check NewClient's refusals.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestNewClientRefusals(t *testing.T) {
	var rec eppotest.Recorder
	for name, opts := range map[string][]eppotest.Option{
		"APIKey":              {eppotest.WithConfig(core.Config{APIKey: "k"})},
		"recorder and logger": {eppotest.WithRecorder(&rec), eppotest.WithConfig(core.Config{AssignmentLogger: &rec})},
	} {
		f := &fatalRecorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			eppotest.NewClient(f, eppotest.New(), opts...)
		}()
		if f.msg == "" {
			t.Errorf("%s: NewClient accepted it", name)
		}
	}
}
