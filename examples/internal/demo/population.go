package demo

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/eppokit/eppokit/core"
)

// Subject is one synthetic user.
type Subject struct {
	Key        string
	Attributes core.Attributes
}

var countries = []string{"US", "Canada", "Mexico", "UK", "France", "Germany", "Brazil", "India"}

// Population generates n subjects with realistic attributes, the same for the same n.
func Population(n int) []Subject {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	out := make([]Subject, n)
	for i := range out {
		key := fmt.Sprintf("user-%06d", i)
		domain := "example.org"
		if rng.IntN(20) == 0 {
			domain = "mycompany.com"
		}
		out[i] = Subject{Key: key, Attributes: core.Attributes{
			"country": countries[rng.IntN(len(countries))],
			"age":     18 + rng.IntN(62),
			"email":   key + "@" + domain,
		}}
	}
	return out
}

// Tally counts, per flag, how many subjects got each value, keeping the caller's default (served when the
// flag assigned nothing) apart from the same value assigned.
type Tally struct {
	flags  []string
	counts map[string]map[outcome]int
}

type outcome struct {
	value     string
	defaulted bool
}

// defaultNote marks the rows of subjects who got the caller's default because nothing was assigned.
const defaultNote = "default (not assigned)"

// NewTally returns an empty tally.
func NewTally() *Tally { return &Tally{counts: map[string]map[outcome]int{}} }

// Add counts one subject's value for a flag; err is the getter's error, non-nil when value is the
// caller's default.
func (t *Tally) Add(flag string, value any, err error) {
	m := t.counts[flag]
	if m == nil {
		m = map[outcome]int{}
		t.counts[flag] = m
		t.flags = append(t.flags, flag)
	}
	s := fmt.Sprint(value)
	if b, ok := value.([]byte); ok {
		s = string(b)
	}
	m[outcome{value: s, defaulted: err != nil}]++
}

// Print writes a small table: one row per flag and value, with the count and share of subjects, and a
// note on the rows where the subjects got the caller's default.
func (t *Tally) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tVALUE\tSUBJECTS\tSHARE\t")
	for _, f := range t.flags {
		rows := make([]outcome, 0, len(t.counts[f]))
		total := 0
		for o, n := range t.counts[f] {
			rows = append(rows, o)
			total += n
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].defaulted != rows[j].defaulted {
				return !rows[i].defaulted
			}
			return rows[i].value < rows[j].value
		})
		for _, o := range rows {
			n := t.counts[f][o]
			note := ""
			if o.defaulted {
				note = defaultNote
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%5.1f%%\t%s\n", f, strings.ReplaceAll(o.value, "\n", " "), n,
				100*float64(n)/float64(total), note)
		}
	}
	tw.Flush()
}

// Evaluate runs the population through one flag of each type and the bandit flag, tallying what each got.
func Evaluate(c *core.Client, subjects []Subject) *Tally {
	t := NewTally()
	actions := map[string]core.ContextAttributes{
		"nike":   {NumericAttributes: map[string]float64{"brand_affinity": 2.1}, CategoricalAttributes: map[string]string{"loyalty_tier": "gold"}},
		"adidas": {NumericAttributes: map[string]float64{"brand_affinity": 1.3}, CategoricalAttributes: map[string]string{"loyalty_tier": "silver"}},
		"reebok": {NumericAttributes: map[string]float64{"brand_affinity": 0.4}, CategoricalAttributes: map[string]string{"loyalty_tier": "bronze"}},
	}
	for _, s := range subjects {
		str, err := c.GetStringAssignment("new-user-onboarding", s.Key, s.Attributes, "default")
		t.Add("new-user-onboarding (STRING)", str, err)
		n, err := c.GetIntegerAssignment("integer-flag", s.Key, s.Attributes, 0)
		t.Add("integer-flag (INTEGER)", n, err)
		f, err := c.GetNumericAssignment("numeric_flag", s.Key, s.Attributes, 0)
		t.Add("numeric_flag (NUMERIC)", f, err)
		b, err := c.GetBooleanAssignment("kill-switch", s.Key, s.Attributes, false)
		t.Add("kill-switch (BOOLEAN)", b, err)
		j, err := c.GetJSONBytesAssignment("json-config-flag", s.Key, s.Attributes, []byte("{}"))
		t.Add("json-config-flag (JSON)", j, err)
		r, err := c.GetBanditAction("banner_bandit_flag", s.Key, core.InferContextAttributes(s.Attributes), actions, "default")
		action := "(none)"
		if r.Action != nil {
			action = *r.Action
		}
		t.Add("banner_bandit_flag (bandit)", r.Variation+" / "+action, err)
	}
	return t
}
