package bandit

import (
	"fmt"
	"testing"
)

// benchInput builds a model with coefficients for every action over attrs numeric and attrs categorical
// attributes, and actions that carry all of them (as does the subject).
func benchInput(nActions, attrs int) (*Model, map[string]float64, map[string]string, []Action) {
	coefficients := map[string]*actionModel{}
	subjNum, subjCat := map[string]float64{}, map[string]string{}
	actions := make([]Action, nActions)
	for i := range actions {
		key := fmt.Sprintf("action-%d", i)
		am := &actionModel{intercept: float64(i % 7)}
		a := Action{Key: key, Numeric: map[string]float64{}, Categorical: map[string]string{}}
		for j := range attrs {
			nk, ck := fmt.Sprintf("num%d", j), fmt.Sprintf("cat%d", j)
			am.subjectNumeric = append(am.subjectNumeric, numericTerm{key: nk, coef: 0.1 * float64(j), missing: -0.5})
			am.actionNumeric = append(am.actionNumeric, numericTerm{key: nk, coef: 0.2, missing: 0.1})
			values := map[string]float64{"gold": 1.5, "silver": 0.5, "bronze": -1}
			am.subjectCategorical = append(am.subjectCategorical, categoricalTerm{key: ck, values: values, missing: 0.3})
			am.actionCategorical = append(am.actionCategorical, categoricalTerm{key: ck, values: values, missing: -0.3})
			a.Numeric[nk] = float64(i*j%11) / 3
			a.Categorical[ck] = []string{"gold", "silver", "bronze", "tin"}[(i+j)%4]
			subjNum[nk], subjCat[ck] = float64(j), "silver"
		}
		coefficients[key] = am
		actions[i] = a
	}
	return newModel(1, 0, 0.1, coefficients), subjNum, subjCat, actions
}

func BenchmarkSelect(b *testing.B) {
	for _, c := range []struct{ actions, attrs int }{{10, 3}, {10, 30}, {100, 3}} {
		b.Run(fmt.Sprintf("actions=%d/attrs=%d", c.actions, c.attrs), func(b *testing.B) {
			m, subjNum, subjCat, actions := benchInput(c.actions, c.attrs)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := m.Select("banner_bandit_flag", subjects[i%len(subjects)], subjNum, subjCat, actions); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSelectParallel(b *testing.B) {
	m, subjNum, subjCat, actions := benchInput(10, 3)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Select("banner_bandit_flag", subjects[i%len(subjects)], subjNum, subjCat, actions); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkParseModels(b *testing.B) {
	data := readUFC(b, "bandit-models-v1.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseModels(data); err != nil {
			b.Fatal(err)
		}
	}
}

var subjects = func() []string {
	s := make([]string, 64)
	for i := range s {
		s[i] = fmt.Sprintf("subject-%04d", i)
	}
	return s
}()

func TestSelectDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: sync.Pool drops items at random there, so allocation counts mean nothing")
	}
	for _, attrs := range []int{0, 3, 30} {
		m, subjNum, subjCat, actions := benchInput(10, attrs)
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := m.Select("flag", "subject", subjNum, subjCat, actions); err != nil {
				t.Fatal(err)
			}
		})
		// The scratch pool may be emptied by a GC during the run; allow for a stray refill.
		if allocs >= 1 {
			t.Errorf("%d attributes per action: Select allocates %.2f times per call", attrs, allocs)
		}
	}
}
