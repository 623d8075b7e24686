package bandit

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b)) }

// A worked example: intercept plus every coefficient term, computed by hand from the fixture model.
func TestScoreWorkedExample(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	subjNum := map[string]float64{"age": 25}
	subjCat := map[string]string{"country": "USA", "gender_identity": "female"}
	nike := Action{Key: "nike", Numeric: map[string]float64{"brand_affinity": 1.5}, Categorical: map[string]string{"loyalty_tier": "silver"}}
	if got := scoreOf(m, subjNum, subjCat, nike); !near(got, 6.2) {
		t.Errorf("score(alice, nike) = %v, want 6.2", got)
	}
	// adidas: 1.1 + 0 (female) + 0 (no area_code) + 2.0·(−1.0) + 0 (no purchased_last_30_days) = −0.9.
	adidas := Action{Key: "adidas", Numeric: map[string]float64{"brand_affinity": -1.0}, Categorical: map[string]string{"loyalty_tier": "bronze"}}
	if got := scoreOf(m, subjNum, subjCat, adidas); !near(got, -0.9) {
		t.Errorf("score(alice, adidas) = %v, want -0.9", got)
	}
	// reebok has no coefficients: defaultActionScore.
	if got := scoreOf(m, subjNum, subjCat, Action{Key: "reebok"}); got != 0 {
		t.Errorf("score(alice, reebok) = %v, want the default 0", got)
	}
	if got := scoreOf(fixtureModel(t, "car_bandit"), nil, nil, Action{Key: "honda"}); got != 5 {
		t.Errorf("car_bandit score of an unknown action = %v, want defaultActionScore 5", got)
	}
}

func TestScoreMissingAttributes(t *testing.T) {
	m := fixtureModel(t, "banner_bandit")
	// nike with nothing at all: 1.0 + 0 (account_age) + 2.3 (gender_identity) − 0.1 (brand_affinity) + 0 + 0.
	if got := scoreOf(m, nil, nil, Action{Key: "nike"}); !near(got, 3.2) {
		t.Errorf("no attributes: score = %v, want 3.2", got)
	}
	// Subject without attributes, action with them: 1.0 + 0 + 2.3 + 2·1.0 + 4.5 (gold) + 8 (zip 81427).
	act := Action{Key: "nike", Numeric: map[string]float64{"brand_affinity": 2}, Categorical: map[string]string{"loyalty_tier": "gold", "zip": "81427"}}
	if got := scoreOf(m, map[string]float64{}, map[string]string{}, act); !near(got, 17.8) {
		t.Errorf("subject without attributes: score = %v, want 17.8", got)
	}
	// A categorical value that is not listed counts as missing; "male" is listed; account_age is numeric.
	subjCat := map[string]string{"gender_identity": "nonbinary"}
	if got := scoreOf(m, map[string]float64{"account_age": 10}, subjCat, Action{Key: "nike"}); !near(got, 1+3+2.3-0.1) {
		t.Errorf("unlisted categorical value: score = %v, want %v", got, 1+3+2.3-0.1)
	}
	// A numeric attribute passed as categorical (or the reverse) does not match the other kind's coefficient.
	wrongKind := Action{Key: "nike", Categorical: map[string]string{"brand_affinity": "1"}, Numeric: map[string]float64{"loyalty_tier": 1}}
	if got := scoreOf(m, nil, nil, wrongKind); !near(got, 3.2) {
		t.Errorf("attributes of the wrong kind: score = %v, want 3.2", got)
	}
}

func TestScoreNonFiniteNumbersAreMissing(t *testing.T) {
	m := newModel(1, 0, 0, map[string]*actionModel{"a": {
		intercept:      0.5,
		subjectNumeric: []numericTerm{{key: "x", coef: 2, missing: 7}},
		actionNumeric:  []numericTerm{{key: "y", coef: 3, missing: 11}},
	}})
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		a := Action{Key: "a", Numeric: map[string]float64{"y": v}}
		if got := scoreOf(m, map[string]float64{"x": v}, nil, a); got != 0.5+7+11 {
			t.Errorf("value %v: score = %v, want %v (both missing)", v, got, 0.5+7+11)
		}
	}
	a := Action{Key: "a", Numeric: map[string]float64{"y": -1}}
	if got := scoreOf(m, map[string]float64{"x": 4}, nil, a); got != 0.5+8-3 {
		t.Errorf("finite values: score = %v, want %v", got, 0.5+8-3)
	}
}

func TestScoreOverflowStaysFinite(t *testing.T) {
	m := newModel(1, 0, 0, map[string]*actionModel{
		"up":  {actionNumeric: []numericTerm{{key: "x", coef: 1e308}}},
		"nan": {actionNumeric: []numericTerm{{key: "x", coef: 1e308}, {key: "y", coef: -1e308}}},
	})
	big := map[string]float64{"x": 1e308, "y": 1e308}
	if got := scoreOf(m, nil, nil, Action{Key: "up", Numeric: big}); got != math.MaxFloat64 {
		t.Errorf("overflowing score = %v, want MaxFloat64", got)
	}
	if got := scoreOf(m, nil, nil, Action{Key: "nan", Numeric: big}); got != -math.MaxFloat64 {
		t.Errorf("∞−∞ score = %v, want -MaxFloat64", got)
	}
	sel, err := m.Select("f", "s", nil, nil, []Action{{Key: "up", Numeric: big}, {Key: "nan", Numeric: big}, {Key: "zero"}})
	if err != nil {
		t.Fatal(err)
	}
	if !finite(sel.OptimalityGap) || !finite(sel.Probability) {
		t.Errorf("selection has non-finite fields: %+v", sel)
	}
}
