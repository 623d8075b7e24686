package eppotest

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/eppokit/eppokit/core"
)

// FlagBuilder describes one flag. Get one from [TestData.Flag], chain its methods, and pass it to
// [TestData.Update]; nothing changes before Update. A builder used wrongly (a value of the wrong type, a
// Split over 100 %) makes Update panic with the mistake and the line that made it.
//
// Values: a flag's type is set by String, Integer, Numeric, Boolean or JSON, or else inferred from the
// first value given (string, bool, Go integer, Go float; anything else is JSON). A variation's key is its
// value's text: the string itself, the decimal number, "true"/"false", or the compact JSON text. JSON
// values are marshaled with encoding/json; a json.RawMessage is used as written.
type FlagBuilder struct {
	key        string
	vtype      core.VariationType // 0 until set or inferred
	disabled   bool
	variations []encoded // in the order declared
	targets    []target
	rules      []rule
	fall       fallthroughSpec
	bandits    map[string]*Bandit // bandit key (= variation key and value) → model
	err        error
}

type target struct{ subject, variation string }

type rule struct {
	conditions []condition
	variation  string
}

type condition struct {
	attribute string
	values    []string
}

// fallthroughSpec is what subjects that no target or rule caught get: one variation, shares, or nothing.
type fallthroughSpec struct {
	kind      fallKind
	variation string  // fallVariation
	shares    []share // fallSplit: the non-zero shares
}

type fallKind uint8

const (
	fallNone fallKind = iota
	fallVariation
	fallSplit
)

type share struct {
	variation string
	percent   int
}

func newFlagBuilder(key string) *FlagBuilder { return &FlagBuilder{key: key} }

// clone returns a deep copy, so that a builder handed to Update can be changed afterwards without effect.
func (b *FlagBuilder) clone() *FlagBuilder {
	c := *b
	c.variations = slices.Clone(b.variations)
	c.targets = slices.Clone(b.targets)
	c.rules = make([]rule, len(b.rules))
	for i, r := range b.rules {
		c.rules[i] = rule{conditions: make([]condition, len(r.conditions)), variation: r.variation}
		for j, cond := range r.conditions {
			c.rules[i].conditions[j] = condition{attribute: cond.attribute, values: slices.Clone(cond.values)}
		}
	}
	c.fall.shares = slices.Clone(b.fall.shares)
	c.bandits = maps.Clone(b.bandits) // models are copied by Bandit and never changed
	return &c
}

// fail records the first mistake made with the builder, with the file and line of the caller outside
// this package that made it.
func (b *FlagBuilder) fail(method string, err error) {
	if b.err != nil {
		return
	}
	where := ""
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, packagePath+".") {
			where = fmt.Sprintf(" (at %s:%d)", f.File, f.Line)
			break
		}
		if !more {
			break
		}
	}
	b.err = fmt.Errorf("eppotest: flag %q: %s%s: %w", b.key, method, where, err)
}

// packagePath prefixes the function names of this package in stack frames.
const packagePath = "github.com/eppokit/eppokit/core/eppotest"

// use returns the key of value's variation (adding it if new), or records the mistake and reports false.
func (b *FlagBuilder) use(method string, value any) (string, bool) {
	key, err := b.variation(value)
	if err != nil {
		b.fail(method, err)
		return "", false
	}
	return key, true
}

// String makes the flag a STRING flag. Changing a flag's type drops its variations, targets and rules.
func (b *FlagBuilder) String() *FlagBuilder { return b.setType(core.TypeString) }

// Integer makes the flag an INTEGER flag (values: Go integers).
func (b *FlagBuilder) Integer() *FlagBuilder { return b.setType(core.TypeInteger) }

// Numeric makes the flag a NUMERIC flag (values: Go numbers).
func (b *FlagBuilder) Numeric() *FlagBuilder { return b.setType(core.TypeNumeric) }

// Boolean makes the flag a BOOLEAN flag.
func (b *FlagBuilder) Boolean() *FlagBuilder { return b.setType(core.TypeBoolean) }

// JSON makes the flag a JSON flag (values: anything encoding/json marshals, or a json.RawMessage).
func (b *FlagBuilder) JSON() *FlagBuilder { return b.setType(core.TypeJSON) }

func (b *FlagBuilder) setType(vt core.VariationType) *FlagBuilder {
	if b.vtype != vt {
		*b = FlagBuilder{key: b.key, vtype: vt, disabled: b.disabled, err: b.err}
	}
	return b
}

// Variations declares variations, in order, besides those the other methods add on first use.
func (b *FlagBuilder) Variations(values ...any) *FlagBuilder {
	for _, v := range values {
		b.use("Variations", v)
	}
	return b
}

// ForAll serves value to every subject: it drops the flag's targets, rules and split.
func (b *FlagBuilder) ForAll(value any) *FlagBuilder {
	if key, ok := b.use("ForAll", value); ok {
		b.targets, b.rules = nil, nil
		b.fall = fallthroughSpec{kind: fallVariation, variation: key}
	}
	return b
}

// ForSubject serves value to the subject with this key, before any rule. It is a rule on the "id"
// attribute, which the evaluator sets to the subject key unless the caller's attributes have their own
// "id". A subject targeted again moves to the new value.
func (b *FlagBuilder) ForSubject(subjectKey string, value any) *FlagBuilder {
	if key, ok := b.use("ForSubject", value); ok {
		b.targets = slices.DeleteFunc(b.targets, func(t target) bool { return t.subject == subjectKey })
		b.targets = append(b.targets, target{subject: subjectKey, variation: key})
	}
	return b
}

// IfAttr starts a rule that matches subjects whose attribute, written as text (numbers in decimal, bools
// as "true"/"false"), equals one of values. Finish it with Then; rules are tried in the order added.
func (b *FlagBuilder) IfAttr(attribute string, values ...any) *RuleBuilder {
	r := &RuleBuilder{flag: b}
	if err := r.add(attribute, values); err != nil {
		b.fail("IfAttr", err)
	}
	return r
}

// Else serves value to subjects no target or rule caught (replacing ForAll's or Split's fallthrough).
func (b *FlagBuilder) Else(value any) *FlagBuilder {
	if key, ok := b.use("Else", value); ok {
		b.fall = fallthroughSpec{kind: fallVariation, variation: key}
	}
	return b
}

// Split divides subjects that no target or rule caught between variations, by percentage (variation key
// → percent). Percentages are whole, non-negative and sum to at most 100; the rest of the subjects get
// the caller's default (no allocation). Subjects are placed by Eppo's real sharding (MD5 of a fixed
// salt and the subject key over 10,000 shards), so each always gets the same variation. Keys are
// variation keys; for a STRING flag a new key adds that variation.
func (b *FlagBuilder) Split(percentages map[string]int) *FlagBuilder {
	total := 0
	var shares []share
	for _, k := range slices.Sorted(maps.Keys(percentages)) {
		p := percentages[k]
		if p < 0 {
			b.fail("Split", fmt.Errorf("variation %q has a negative share %d", k, p))
			return b
		}
		total += p
		key, err := b.variationByKey(k)
		if err != nil {
			b.fail("Split", err)
			return b
		}
		if p > 0 {
			shares = append(shares, share{variation: key, percent: p})
		}
	}
	if total > 100 {
		b.fail("Split", fmt.Errorf("shares sum to %d %%, more than 100", total))
		return b
	}
	b.fall = fallthroughSpec{kind: fallSplit, shares: shares}
	return b
}

// Disabled turns the flag off: every subject gets the caller's default. The flag keeps its type (STRING
// if it never had one), so getters of that type report it disabled.
func (b *FlagBuilder) Disabled() *FlagBuilder {
	b.disabled = true
	return b
}

// Enabled turns the flag back on (flags start enabled).
func (b *FlagBuilder) Enabled() *FlagBuilder {
	b.disabled = false
	return b
}

// variation returns the key of value's variation, adding the variation if it is new.
func (b *FlagBuilder) variation(value any) (string, error) {
	if b.vtype == 0 {
		b.vtype = inferType(value)
	}
	e, err := encode(b.vtype, value)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(b.variations, func(v encoded) bool { return v.key == e.key }) {
		b.variations = append(b.variations, e)
	}
	return e.key, nil
}

// variationByKey resolves a variation key given as text (Split), adding the variation it spells if new.
func (b *FlagBuilder) variationByKey(key string) (string, error) {
	if slices.ContainsFunc(b.variations, func(v encoded) bool { return v.key == key }) {
		return key, nil
	}
	if b.vtype == 0 {
		b.vtype = core.TypeString
	}
	v, err := decodeKey(b.vtype, key)
	if err != nil {
		return "", fmt.Errorf("%q is not a variation of this %s flag: %w", key, b.vtype, err)
	}
	return b.variation(v)
}

// RuleBuilder is a rule being built by [FlagBuilder.IfAttr]; Then completes it.
type RuleBuilder struct {
	flag       *FlagBuilder
	conditions []condition
}

// AndAttr adds a condition that must hold as well: the attribute equals one of values (as IfAttr).
func (r *RuleBuilder) AndAttr(attribute string, values ...any) *RuleBuilder {
	if err := r.add(attribute, values); err != nil {
		r.flag.fail("AndAttr", err)
	}
	return r
}

func (r *RuleBuilder) add(attribute string, values []any) error {
	if len(values) == 0 {
		return fmt.Errorf("attribute %q: no values to match", attribute)
	}
	texts := make([]string, 0, len(values))
	for _, v := range values {
		s, err := attributeText(v)
		if err != nil {
			return err
		}
		texts = append(texts, s)
	}
	r.conditions = append(r.conditions, condition{attribute: attribute, values: texts})
	return nil
}

// Then serves value to subjects matching the rule and returns the flag builder.
func (r *RuleBuilder) Then(value any) *FlagBuilder {
	b := r.flag
	if key, ok := b.use("Then", value); ok {
		b.rules = append(b.rules, rule{conditions: r.conditions, variation: key})
	}
	return b
}
