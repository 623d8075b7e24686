package bandit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomModel draws a model over a small vocabulary of action and attribute keys, so that coefficients,
// attributes and actions overlap often.
func randomModel(r *rand.Rand) *Model {
	gammas := []float64{0, 1, r.Float64() * 10, 1e6}
	floors := []float64{0, 1, r.Float64(), r.Float64() * 0.1}
	coefficients := map[string]*actionModel{}
	for a := range r.IntN(12) {
		am := &actionModel{intercept: r.NormFloat64() * 3}
		for range r.IntN(4) {
			am.subjectNumeric = append(am.subjectNumeric, randomNumericTerm(r))
			am.actionNumeric = append(am.actionNumeric, randomNumericTerm(r))
		}
		for range r.IntN(3) {
			am.subjectCategorical = append(am.subjectCategorical, randomCategoricalTerm(r))
			am.actionCategorical = append(am.actionCategorical, randomCategoricalTerm(r))
		}
		coefficients[fmt.Sprintf("act%d", a)] = am
	}
	return newModel(gammas[r.IntN(len(gammas))], r.NormFloat64()*5, floors[r.IntN(len(floors))], coefficients)
}

func randomNumericTerm(r *rand.Rand) numericTerm {
	return numericTerm{key: fmt.Sprintf("n%d", r.IntN(5)), coef: r.NormFloat64() * 4, missing: r.NormFloat64()}
}

func randomCategoricalTerm(r *rand.Rand) categoricalTerm {
	values := map[string]float64{}
	for v := range r.IntN(4) {
		values[fmt.Sprintf("v%d", v)] = r.NormFloat64() * 2
	}
	return categoricalTerm{key: fmt.Sprintf("c%d", r.IntN(4)), values: values, missing: r.NormFloat64()}
}

func randomAttributes(r *rand.Rand) (map[string]float64, map[string]string) {
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, 1e300}
	num := map[string]float64{}
	for range r.IntN(5) {
		v := r.NormFloat64() * 10
		if r.IntN(8) == 0 {
			v = special[r.IntN(len(special))]
		}
		num[fmt.Sprintf("n%d", r.IntN(5))] = v
	}
	cat := map[string]string{}
	for range r.IntN(4) {
		cat[fmt.Sprintf("c%d", r.IntN(4))] = fmt.Sprintf("v%d", r.IntN(5))
	}
	return num, cat
}

func randomActions(r *rand.Rand) []Action {
	n := 1 + r.IntN(30)
	actions := make([]Action, 0, n)
	for _, i := range r.Perm(40)[:n] { // unique keys, some with coefficients (act0..act11), some without
		num, cat := randomAttributes(r)
		actions = append(actions, Action{Key: fmt.Sprintf("act%d", i), Numeric: num, Categorical: cat})
	}
	return actions
}

// TestSelectProperties checks, over random models and inputs, that the weights form a probability
// distribution (the compile-time checks gamma ≥ 0 and floor ∈ [0, 1] guarantee it), that Select returns a
// consistent and finite result, and that the result depends neither on the call nor on the input order.
func TestSelectProperties(t *testing.T) {
	const seed = 20240917
	r := rand.New(rand.NewPCG(seed, 1))
	for iter := range 3000 {
		m := randomModel(r)
		subjNum, subjCat := randomAttributes(r)
		actions := randomActions(r)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d iteration %d (gamma %v floor %v, %d actions): %s", seed, iter, m.gamma, m.floor,
				len(actions), fmt.Sprintf(format, args...))
		}

		_, weights := weightsOf(m, subjNum, subjCat, actions)
		var sum float64
		for k, w := range weights {
			if !(w >= 0 && w <= 1) {
				fail("weight[%s] = %v is outside [0, 1]", k, w)
			}
			sum += w
		}
		if math.Abs(sum-1) > 1e-9 {
			fail("weights sum to %v", sum)
		}

		sel, err := m.Select("flag", fmt.Sprintf("subject-%d", iter), subjNum, subjCat, actions)
		if err != nil {
			fail("Select: %v", err)
		}
		chosen := indexOf(actions, sel.Key)
		if chosen < 0 {
			fail("Select chose %q, which is not one of the actions", sel.Key)
		}
		if math.Abs(sel.Probability-weights[sel.Key]) > 1e-12 {
			fail("Probability %v, weight of %s is %v", sel.Probability, sel.Key, weights[sel.Key])
		}
		if !(sel.OptimalityGap >= 0) || !finite(sel.OptimalityGap) {
			fail("non-finite or negative numbers: %+v", sel)
		}
		// The slot-based scoring Select uses agrees with the reference scorer, and the gap is best minus chosen.
		refBest := math.Inf(-1)
		for _, a := range actions {
			got, want := scoreOf(m, subjNum, subjCat, a), refScore(m, subjNum, subjCat, a)
			if math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
				fail("score of %s = %v, the reference scorer gives %v", a.Key, got, want)
			}
			refBest = max(refBest, want)
		}
		if want := refBest - refScore(m, subjNum, subjCat, actions[chosen]); math.Abs(sel.OptimalityGap-want) > 1e-9*max(1, math.Abs(refBest)) {
			fail("OptimalityGap %v, the reference scorer gives %v", sel.OptimalityGap, want)
		}

		again, _ := m.Select("flag", fmt.Sprintf("subject-%d", iter), subjNum, subjCat, actions)
		shuffled := append([]Action(nil), actions...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		moved, _ := m.Select("flag", fmt.Sprintf("subject-%d", iter), subjNum, subjCat, shuffled)
		if again != sel {
			fail("second call gave %+v, first %+v", again, sel)
		}
		if moved != sel {
			fail("shuffled input gave %+v, original %+v", moved, sel)
		}
	}
}

// FuzzParseModels checks that no input makes parsing or selecting panic, and that every model that parses
// selects with finite results.
func FuzzParseModels(f *testing.F) {
	f.Add(readUFC(f, "bandit-models-v1.json"))
	f.Add([]byte(`{"bandits":{"b":{"banditKey":"b","modelData":{"gamma":0,"defaultActionScore":1e308,"actionProbabilityFloor":1,"coefficients":{"x":{"intercept":1e308}}}}}}`))
	f.Add([]byte(`{"bandits":{"b":null}}`))
	actions := []Action{
		{Key: "nike", Numeric: map[string]float64{"brand_affinity": 1e308}, Categorical: map[string]string{"loyalty_tier": "gold"}},
		{Key: "x"}, {Key: "toyota", Numeric: map[string]float64{"speed": math.Inf(1)}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := ParseModels(data)
		if err != nil {
			return
		}
		for key, m := range ms.Bandits {
			sel, err := m.Select("flag", "subject", map[string]float64{"account_age": -1e308}, nil, actions)
			if err != nil {
				t.Fatalf("%s: Select: %v", key, err)
			}
			if !finite(sel.Probability) || !finite(sel.OptimalityGap) || sel.Probability < 0 || sel.Probability > 1 {
				t.Fatalf("%s: %+v", key, sel)
			}
		}
	})
}

// refScore restates the scoring rule directly over the maps, as an oracle for the slot-based scoring of Select.
func refScore(m *Model, subjNum map[string]float64, subjCat map[string]string, a Action) float64 {
	am, ok := m.actions[a.Key]
	if !ok {
		return m.defaultScore
	}
	num := func(terms []numericTerm, values map[string]float64) (s float64) {
		for _, t := range terms {
			if v, ok := values[t.key]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
				s += t.coef * v
			} else {
				s += t.missing
			}
		}
		return s
	}
	cat := func(terms []categoricalTerm, values map[string]string) (s float64) {
		for _, t := range terms {
			v, present := values[t.key]
			if c, listed := t.values[v]; present && listed {
				s += c
			} else {
				s += t.missing
			}
		}
		return s
	}
	return am.intercept + num(am.subjectNumeric, subjNum) + cat(am.subjectCategorical, subjCat) +
		num(am.actionNumeric, a.Numeric) + cat(am.actionCategorical, a.Categorical)
}
