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

// Tally counts, per flag, how many subjects got each value.
type Tally struct {
	flags  []string
	counts map[string]map[string]int
}

// NewTally returns an empty tally.
func NewTally() *Tally { return &Tally{counts: map[string]map[string]int{}} }

// Add counts one subject's value for a flag.
func (t *Tally) Add(flag string, value any) {
	m := t.counts[flag]
	if m == nil {
		m = map[string]int{}
		t.counts[flag] = m
		t.flags = append(t.flags, flag)
	}
	s := fmt.Sprint(value)
	if b, ok := value.([]byte); ok {
		s = string(b)
	}
	m[s]++
}

// Print writes a small table: one row per flag and value, with the count and share of subjects.
func (t *Tally) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tVALUE\tSUBJECTS\tSHARE")
	for _, f := range t.flags {
		values := make([]string, 0, len(t.counts[f]))
		total := 0
		for v, n := range t.counts[f] {
			values = append(values, v)
			total += n
		}
		sort.Strings(values)
		for _, v := range values {
			n := t.counts[f][v]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%5.1f%%\n", f, strings.ReplaceAll(v, "\n", " "), n, 100*float64(n)/float64(total))
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
		str, _ := c.GetStringAssignment("new-user-onboarding", s.Key, s.Attributes, "default")
		t.Add("new-user-onboarding (STRING)", str)
		n, _ := c.GetIntegerAssignment("integer-flag", s.Key, s.Attributes, 0)
		t.Add("integer-flag (INTEGER)", n)
		f, _ := c.GetNumericAssignment("numeric_flag", s.Key, s.Attributes, 0)
		t.Add("numeric_flag (NUMERIC)", f)
		b, _ := c.GetBooleanAssignment("kill-switch", s.Key, s.Attributes, false)
		t.Add("kill-switch (BOOLEAN)", b)
		j, _ := c.GetJSONBytesAssignment("json-config-flag", s.Key, s.Attributes, []byte("{}"))
		t.Add("json-config-flag (JSON)", j)
		r, _ := c.GetBanditAction("banner_bandit_flag", s.Key, core.InferContextAttributes(s.Attributes), actions, "default")
		action := "(none)"
		if r.Action != nil {
			action = *r.Action
		}
		t.Add("banner_bandit_flag (bandit)", r.Variation+" / "+action)
	}
	return t
}
