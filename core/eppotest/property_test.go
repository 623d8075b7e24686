package eppotest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/core/eppotest"
)

// The property test builds random flags through random sequences of builder calls, keeps its own model of
// what each call promises (the package documentation, written down independently), and checks that the
// real evaluator, fed by td.UFC(), keeps every promise.

type fallKind int

const (
	fallNone fallKind = iota
	fallAll
	fallSplit
)

type modelCond struct {
	attr   string
	values []string
}

type modelRule struct {
	conds []modelCond
	value int // index into model.values
}

type model struct {
	vtype    core.VariationType
	values   []any
	disabled bool
	targets  map[string]int
	rules    []modelRule
	fall     fallKind
	fallTo   int
	shares   map[int]int // value index → percent
}

var (
	countries = []string{"FR", "DE", "US"}
	tiers     = []int{1, 2, 3}
)

// subjectPool holds the subjects that may be targeted; split statistics use other subjects.
func subjectPool(i int) string { return fmt.Sprintf("s%d", i) }

func randomValues(rng *rand.Rand, vt core.VariationType) []any {
	n := 2 + rng.IntN(3)
	var out []any
	for len(out) < n {
		var v any
		switch vt {
		case core.TypeString:
			v = []string{"", "control", "treatment", "a b", "ünï", "x-1", "42"}[rng.IntN(7)]
		case core.TypeInteger:
			v = int64(rng.IntN(2001) - 1000)
		case core.TypeNumeric:
			v = float64(rng.IntN(4001)-2000) / 8
		case core.TypeBoolean:
			v = rng.IntN(2) == 0
			n = 2
		case core.TypeJSON:
			v = map[string]any{"n": float64(rng.IntN(5)), "s": []any{"a", float64(rng.IntN(3))}}
		}
		if !slices.ContainsFunc(out, func(o any) bool { return reflect.DeepEqual(o, v) }) {
			out = append(out, v)
		}
	}
	return out
}

// variationKey is the documented key of a value: its text.
func variationKey(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// build applies a random sequence of builder calls and records what each promises.
func build(rng *rand.Rand, td *eppotest.TestData, key string) (*eppotest.FlagBuilder, *model) {
	types := []core.VariationType{core.TypeString, core.TypeInteger, core.TypeNumeric, core.TypeBoolean, core.TypeJSON}
	m := &model{vtype: types[rng.IntN(len(types))], targets: map[string]int{}}
	m.values = randomValues(rng, m.vtype)
	b := td.Flag(key)
	switch m.vtype {
	case core.TypeString:
		b.String()
	case core.TypeInteger:
		b.Integer()
	case core.TypeNumeric:
		b.Numeric()
	case core.TypeBoolean:
		b.Boolean()
	case core.TypeJSON:
		b.JSON()
	}
	b.Variations(m.values...)
	for range 2 + rng.IntN(7) {
		v := rng.IntN(len(m.values))
		switch op := rng.IntN(10); {
		case op == 0:
			b.ForAll(m.values[v])
			m.targets, m.rules, m.fall, m.fallTo = map[string]int{}, nil, fallAll, v
		case op <= 3:
			s := subjectPool(rng.IntN(20))
			b.ForSubject(s, m.values[v])
			m.targets[s] = v
		case op <= 5:
			r := modelRule{value: v}
			rb := b.IfAttr("country", pickCountries(rng, &r)...)
			if rng.IntN(2) == 0 {
				rb = rb.AndAttr("tier", pickTiers(rng, &r)...)
			}
			rb.Then(m.values[v])
			m.rules = append(m.rules, r)
		case op == 6:
			b.Else(m.values[v])
			m.fall, m.fallTo = fallAll, v
		case op <= 8:
			shares, promised := map[string]int{}, map[int]int{}
			left := 100 - 10*rng.IntN(3) // sometimes leave part of the subjects on the default
			for i := range m.values {
				p := rng.IntN(left + 1)
				if i == len(m.values)-1 {
					p = left
				}
				left -= p
				shares[variationKey(m.values[i])] = p
				promised[i] = p
			}
			b.Split(shares)
			m.fall, m.shares = fallSplit, promised
		default:
			if m.disabled = !m.disabled; m.disabled {
				b.Disabled()
			} else {
				b.Enabled()
			}
		}
	}
	return b, m
}

func pickCountries(rng *rand.Rand, r *modelRule) []any {
	c := modelCond{attr: "country"}
	var out []any
	for _, v := range countries {
		if rng.IntN(2) == 0 || v == countries[len(countries)-1] && len(out) == 0 {
			out = append(out, v)
			c.values = append(c.values, v)
		}
	}
	r.conds = append(r.conds, c)
	return out
}

func pickTiers(rng *rand.Rand, r *modelRule) []any {
	c := modelCond{attr: "tier"}
	var out []any
	for _, v := range tiers {
		if rng.IntN(2) == 0 || v == tiers[len(tiers)-1] && len(out) == 0 {
			out = append(out, v) // given as numbers, matched as text
			c.values = append(c.values, strconv.Itoa(v))
		}
	}
	r.conds = append(r.conds, c)
	return out
}

func randomAttributes(rng *rand.Rand) core.Attributes {
	attrs := core.Attributes{}
	if rng.IntN(4) > 0 {
		attrs["country"] = countries[rng.IntN(len(countries))]
	}
	switch rng.IntN(3) {
	case 0:
		attrs["tier"] = tiers[rng.IntN(len(tiers))]
	case 1:
		attrs["tier"] = strconv.Itoa(tiers[rng.IntN(len(tiers))])
	}
	return attrs
}

// outcome is what the model promises: a value index, "one of the split", no allocation, or disabled.
type outcome struct {
	value    int
	split    bool
	noAlloc  bool
	disabled bool
}

func (m *model) expect(subject string, attrs core.Attributes) outcome {
	if m.disabled {
		return outcome{disabled: true}
	}
	if v, ok := m.targets[subject]; ok {
		return outcome{value: v}
	}
	for _, r := range m.rules {
		if r.matches(attrs) {
			return outcome{value: r.value}
		}
	}
	switch m.fall {
	case fallAll:
		return outcome{value: m.fallTo}
	case fallSplit:
		return outcome{split: true}
	}
	return outcome{noAlloc: true}
}

func (r modelRule) matches(attrs core.Attributes) bool {
	for _, c := range r.conds {
		v, ok := attrs[c.attr]
		if !ok || !slices.Contains(c.values, fmt.Sprint(v)) {
			return false
		}
	}
	return true
}

// evaluate calls the typed getter of the flag's type and returns the value in the model's form.
func evaluate(c *core.Client, vt core.VariationType, key, subject string, attrs core.Attributes) (any, error) {
	switch vt {
	case core.TypeString:
		return c.GetStringAssignment(key, subject, attrs, "")
	case core.TypeInteger:
		return c.GetIntegerAssignment(key, subject, attrs, 0)
	case core.TypeNumeric:
		return c.GetNumericAssignment(key, subject, attrs, 0)
	case core.TypeBoolean:
		return c.GetBooleanAssignment(key, subject, attrs, false)
	}
	return c.GetJSONAssignment(key, subject, attrs, nil)
}

func TestPropertyRandomBuilders(t *testing.T) {
	for seed := range 60 {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 0xe990))
			td := eppotest.New()
			b, m := build(rng, td, "flag")
			td.Update(b)

			cfg, err := core.NewConfiguration(td.UFC(), nil)
			if err != nil || len(cfg.FlagErrors()) != 0 || !slices.Equal(cfg.FlagKeys(), []string{"flag"}) {
				t.Fatalf("td.UFC() parses to %v, %v (flag errors %v)\n%s", cfg, err, cfg.FlagErrors(), td.UFC())
			}
			client := eppotest.NewClient(t, td)
			for range 300 {
				subject := subjectPool(rng.IntN(30)) // two in three can be targeted
				attrs := randomAttributes(rng)
				checkSubject(t, client, m, subject, attrs)
			}
			if m.fall == fallSplit && !m.disabled {
				checkShares(t, client, m)
			}
		})
	}
}

func checkSubject(t *testing.T, c *core.Client, m *model, subject string, attrs core.Attributes) {
	t.Helper()
	got, err := evaluate(c, m.vtype, "flag", subject, attrs)
	want := m.expect(subject, attrs)
	switch {
	case want.disabled:
		if !errors.Is(err, core.ErrFlagDisabled) {
			t.Fatalf("%s %v: %v, %v; want the flag disabled", subject, attrs, got, err)
		}
	case want.noAlloc:
		if !errors.Is(err, core.ErrNoAllocation) {
			t.Fatalf("%s %v: %v, %v; want no allocation", subject, attrs, got, err)
		}
	case want.split:
		if err != nil && !errors.Is(err, core.ErrNoAllocation) {
			t.Fatalf("%s %v: %v", subject, attrs, err)
		}
		if err == nil && !slices.ContainsFunc(m.values, func(v any) bool { return reflect.DeepEqual(v, got) }) {
			t.Fatalf("%s %v: %v is none of the split's values %v", subject, attrs, got, m.values)
		}
	default:
		if err != nil || !reflect.DeepEqual(got, m.values[want.value]) {
			t.Fatalf("%s %v: %#v, %v; want %#v", subject, attrs, got, err, m.values[want.value])
		}
	}
}

// checkShares evaluates 10,000 subjects that no target or rule catches and compares each variation's
// share (and the default's) with the promised percentage, within 2 points.
func checkShares(t *testing.T, c *core.Client, m *model) {
	t.Helper()
	const n = 10000
	counts := make([]int, len(m.values))
	defaults := 0
	for i := range n {
		got, err := evaluate(c, m.vtype, "flag", fmt.Sprintf("split-subject-%d", i), nil)
		if errors.Is(err, core.ErrNoAllocation) {
			defaults++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		idx := slices.IndexFunc(m.values, func(v any) bool { return reflect.DeepEqual(v, got) })
		if idx < 0 {
			t.Fatalf("split served %v, none of %v", got, m.values)
		}
		counts[idx]++
	}
	promisedDefault := 100
	for i, p := range m.shares {
		promisedDefault -= p
		if got := 100 * float64(counts[i]) / n; math.Abs(got-float64(p)) > 2 {
			t.Errorf("variation %v: %.2f %% of subjects, promised %d %%", m.values[i], got, p)
		}
	}
	if got := 100 * float64(defaults) / n; math.Abs(got-float64(promisedDefault)) > 2 {
		t.Errorf("default: %.2f %% of subjects, promised %d %%", got, promisedDefault)
	}
}
