package bandit

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

// weightsOf scores and weighs actions with the model, returning the best index and the weights by key.
func weightsOf(m *Model, subjNum map[string]float64, subjCat map[string]string, actions []Action) (string, map[string]float64) {
	scores := make([]float64, len(actions))
	weights := make([]float64, len(actions))
	view := subjectView{numeric: make([]float64, len(m.subject.numeric)), categorical: make([]int, len(m.subject.categorical))}
	m.subject.resolve(subjNum, subjCat, view)
	best := m.scoreAll(view, actions, scores)
	order := make([]ranked, len(actions))
	for i := range order {
		order[i].idx = i
	}
	m.weigh(scores, best, order, weights)
	byKey := make(map[string]float64, len(actions))
	for i, a := range actions {
		byKey[a.Key] = weights[i]
	}
	return actions[best].Key, byKey
}

func checkWeights(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if !near(got[k], w) {
			t.Errorf("weight[%s] = %v, want %v", k, got[k], w)
		}
	}
}

func TestSelectWorkedExample(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	subjNum := map[string]float64{"age": 25}
	subjCat := map[string]string{"country": "USA", "gender_identity": "female"}
	actions := []Action{
		{Key: "nike", Numeric: map[string]float64{"brand_affinity": 1.5}, Categorical: map[string]string{"loyalty_tier": "silver"}},
		{Key: "adidas", Numeric: map[string]float64{"brand_affinity": -1.0}, Categorical: map[string]string{"loyalty_tier": "bronze"}},
		{Key: "reebok", Numeric: map[string]float64{"brand_affinity": 0.5}, Categorical: map[string]string{"loyalty_tier": "gold"}},
	}
	// Scores 6.2, −0.9, 0 (the worked scoring example): gaps 7.1 and 6.2 with n = 3 and γ = 1.
	best, w := weightsOf(m, subjNum, subjCat, actions)
	if best != "nike" {
		t.Fatalf("best = %s, want nike", best)
	}
	checkWeights(t, w, map[string]float64{"adidas": 1 / 10.1, "reebok": 1 / 9.2, "nike": 1 - 1/10.1 - 1/9.2})

	sel, err := m.Select("banner_bandit_flag", "alice", subjNum, subjCat, actions)
	if err != nil {
		t.Fatal(err)
	}
	// Conformance: alice gets nike (ufc/bandit-tests/test-case-banner-bandit.json).
	if sel.Key != "nike" || !near(sel.Probability, 1-1/10.1-1/9.2) || sel.OptimalityGap != 0 {
		t.Errorf("Select = %+v", sel)
	}
}

func TestWeightsTiesGoToSmallestKey(t *testing.T) {
	m := newModel(1, 0, 0, intercepts(map[string]float64{"b": 5, "a": 5, "c": 1}))
	for _, order := range [][]string{{"b", "a", "c"}, {"c", "b", "a"}, {"a", "c", "b"}} {
		best, w := weightsOf(m, nil, nil, keys(order...))
		if best != "a" {
			t.Errorf("order %v: best = %s, want a", order, best)
		}
		// b ties with a: gap 0 gives 1/3; c has gap 4: 1/7; a gets the rest.
		checkWeights(t, w, map[string]float64{"b": 1.0 / 3, "c": 1.0 / 7, "a": 1 - 1.0/3 - 1.0/7})
	}
}

func TestWeightsAllEqualAreUniform(t *testing.T) {
	for _, n := range []int{2, 3, 7, 50} {
		actions := make([]Action, n)
		for i := range actions {
			actions[i] = Action{Key: fmt.Sprintf("k%03d", n-i)}
		}
		m := newModel(2.5, 3, 0, nil) // no coefficients: everyone scores defaultActionScore
		best, w := weightsOf(m, nil, nil, actions)
		if best != "k001" {
			t.Errorf("n=%d: best = %s, want the smallest key k001", n, best)
		}
		for k, v := range w {
			if math.Abs(v-1/float64(n)) > 1e-12 {
				t.Errorf("n=%d: weight[%s] = %v, want 1/%d", n, k, v, n)
			}
		}
	}
}

func TestWeightsFloor(t *testing.T) {
	scores := map[string]float64{"a": 10, "b": 0, "c": 9}
	// Floor 0.6 over 3 actions is 0.2 each: b's 1/(3+10) is lifted to 0.2, c's 1/(3+1) = 0.25 stays.
	_, w := weightsOf(newModel(1, 0, 0.6, intercepts(scores)), nil, nil, keys("a", "b", "c"))
	checkWeights(t, w, map[string]float64{"a": 0.55, "b": 0.2, "c": 0.25})

	// A floor of 1 gives 1/n, which is at least every 1/(n + γ·gap): uniform whatever the scores.
	_, w = weightsOf(newModel(1, 0, 1, intercepts(scores)), nil, nil, keys("a", "b", "c"))
	checkWeights(t, w, map[string]float64{"a": 1.0 / 3, "b": 1.0 / 3, "c": 1.0 / 3})

	// The fixture's car_bandit: floor 0.2, default score 5, toyota = 1 + speed.
	car := fixtureModel(t, "car_bandit")
	actions := []Action{{Key: "toyota", Numeric: map[string]float64{"speed": 100}}, {Key: "honda"}}
	best, w := weightsOf(car, nil, nil, actions)
	if best != "toyota" {
		t.Fatalf("best = %s, want toyota (score 101)", best)
	}
	checkWeights(t, w, map[string]float64{"honda": 0.1, "toyota": 0.9}) // 1/(2+96) < 0.2/2
}

func TestWeightsGammaZeroIsUniform(t *testing.T) {
	_, w := weightsOf(newModel(0, 0, 0, intercepts(map[string]float64{"a": 100, "b": -3, "c": 0, "d": 1})), nil, nil, keys("a", "b", "c", "d"))
	checkWeights(t, w, map[string]float64{"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25})
}

func TestSelectOneAction(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	for _, subject := range []string{"alice", "bob", "", "🦄"} {
		sel, err := m.Select("flag", subject, nil, nil, []Action{{Key: "nike"}})
		if err != nil {
			t.Fatal(err)
		}
		if sel.Key != "nike" || sel.Probability != 1 || sel.OptimalityGap != 0 {
			t.Errorf("subject %q: Select = %+v", subject, sel)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	if _, err := m.Select("f", "s", nil, nil, nil); !errors.Is(err, ErrNoActions) {
		t.Errorf("no actions: error %v, want ErrNoActions", err)
	}
	if _, err := m.Select("f", "s", nil, nil, keys("a", "b", "a")); !errors.Is(err, ErrDuplicateAction) {
		t.Errorf("duplicate keys: error %v, want ErrDuplicateAction", err)
	}
}

// refShard restates the shard rule (md5, first four bytes big-endian, mod 10000), to check the selection walk.
func refShard(s string) uint32 {
	sum := md5.Sum([]byte(s))
	return binary.BigEndian.Uint32(sum[:4]) % 10000
}

// With uniform weights 1/n, the chosen action is the one at place ⌊threshold·n⌋ in shard order.
func TestSelectThousandActionsWalksShardOrder(t *testing.T) {
	const n = 1000
	actions := make([]Action, n)
	for i := range actions {
		actions[i] = Action{Key: fmt.Sprintf("action-%d", i)}
	}
	m := fixtureModel(t, "cold_start_bandit")
	checked := 0
	for s := 0; s < 40; s++ {
		subject := fmt.Sprintf("subject-%d", s)
		threshold := float64(refShard("flag-"+subject)) / 10000
		place := threshold * n
		if place-math.Floor(place) < 1e-6 {
			continue // on a boundary the cumulative sum's rounding decides; not what this test is about
		}
		ordered := slices.Clone(actions)
		slices.SortFunc(ordered, func(a, b Action) int {
			sa, sb := refShard("flag-"+subject+"-"+a.Key), refShard("flag-"+subject+"-"+b.Key)
			if sa != sb {
				return int(sa) - int(sb)
			}
			if a.Key < b.Key {
				return -1
			}
			return 1
		})
		want := ordered[int(place)].Key
		sel, err := m.Select("flag", subject, nil, nil, actions)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Key != want || math.Abs(sel.Probability-1.0/n) > 1e-12 {
			t.Errorf("%s: Select = %+v, want %s with probability 1/%d", subject, sel, want, n)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d subjects were off a boundary", checked)
	}
}

// The cold-start fixture: uniform weights, the pick depends only on the hashes.
func TestSelectColdStart(t *testing.T) {
	m := fixtureModel(t, "cold_start_bandit")
	want := map[string]string{"alice": "red", "bob": "green", "charles": "blue"}
	for subject, action := range want {
		sel, err := m.Select("cold_start_bandit_flag", subject, nil, nil, keys("red", "green", "blue"))
		if err != nil {
			t.Fatal(err)
		}
		if sel.Key != action || !near(sel.Probability, 1.0/3) || sel.OptimalityGap != 0 {
			t.Errorf("%s: Select = %+v, want %s with probability 1/3", subject, sel, action)
		}
	}
}

func TestSelectIsIndependentOfInputOrder(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	actions := []Action{
		{Key: "nike", Numeric: map[string]float64{"brand_affinity": 0.2}},
		{Key: "adidas", Categorical: map[string]string{"purchased_last_30_days": "true"}},
		{Key: "reebok"}, {Key: "puma"}, {Key: "asics", Numeric: map[string]float64{"brand_affinity": math.NaN()}},
	}
	for s := 0; s < 50; s++ {
		subject := fmt.Sprintf("user-%d", s)
		first, err := m.Select("banner_bandit_flag", subject, nil, nil, actions)
		if err != nil {
			t.Fatal(err)
		}
		reversed := slices.Clone(actions)
		slices.Reverse(reversed)
		second, err := m.Select("banner_bandit_flag", subject, nil, nil, reversed)
		if err != nil {
			t.Fatal(err)
		}
		if first != second {
			t.Fatalf("%s: %+v vs reversed %+v", subject, first, second)
		}
	}
}
