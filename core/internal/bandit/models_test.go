package bandit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseModelsFixture(t *testing.T) {
	ms := fixtureModels(t)
	if ms.Environment != "Test" {
		t.Errorf("Environment = %q, want Test", ms.Environment)
	}
	wantTime := time.Date(2023, 9, 13, 4, 52, 6, 462e6, time.UTC)
	if !ms.UpdatedAt.Equal(wantTime) {
		t.Errorf("UpdatedAt = %v, want %v", ms.UpdatedAt, wantTime)
	}
	want := map[string]struct {
		version                    string
		gamma, defaultScore, floor float64
		actions                    int
	}{
		"banner_bandit":     {"123", 1, 0, 0, 2},
		"car_bandit":        {"456", 1, 5, 0.2, 1},
		"cold_start_bandit": {"cold start", 1, 0, 0, 0},
	}
	if len(ms.Bandits) != len(want) {
		t.Fatalf("got %d bandits, want %d", len(ms.Bandits), len(want))
	}
	for key, w := range want {
		m, err := ms.Lookup(key)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", key, err)
		}
		if m.Key != key || m.Name != "falcon" || m.Version != w.version || !m.UpdatedAt.Equal(wantTime) {
			t.Errorf("%s: got key %q name %q version %q updatedAt %v", key, m.Key, m.Name, m.Version, m.UpdatedAt)
		}
		if m.gamma != w.gamma || m.defaultScore != w.defaultScore || m.floor != w.floor {
			t.Errorf("%s: gamma %v default %v floor %v", key, m.gamma, m.defaultScore, m.floor)
		}
		if len(m.actions) != w.actions {
			t.Errorf("%s: %d actions with coefficients, want %d", key, len(m.actions), w.actions)
		}
	}
	nike := fixtureModel(t, "banner_bandit").actions["nike"]
	if len(nike.actionCategorical) != 2 || nike.actionCategorical[1].key != "zip" || nike.actionCategorical[1].values["81427"] != 8 {
		t.Errorf("nike categorical coefficients compiled wrong: %+v", nike.actionCategorical)
	}
}

// validModel is a well-formed model body; the cases below break one thing at a time.
const validModel = `{"banditKey":"%s","modelVersion":"v1","modelData":{"gamma":1,"defaultActionScore":0,
 "actionProbabilityFloor":0.1,"coefficients":{"a":{"actionKey":"a","intercept":1,
 "subjectNumericCoefficients":[{"attributeKey":"x","coefficient":1,"missingValueCoefficient":0}],
 "actionCategoricalCoefficients":[{"attributeKey":"c","valueCoefficients":{"v":2},"missingValueCoefficient":0}]}}}}`

func TestParseModelsRejectsOnlyTheMalformedModel(t *testing.T) {
	cases := []struct {
		name, body, wantErr string
	}{
		{"null model", `null`, "null"},
		{"not an object", `42`, "is a number, want an object"},
		{"missing banditKey", `{"modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":0}}`, "banditKey is missing"},
		{"banditKey mismatch", `{"banditKey":"other","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":0}}`, "differs"},
		{"missing modelData", `{"banditKey":"bad"}`, "modelData is missing"},
		{"missing gamma", `{"banditKey":"bad","modelData":{"defaultActionScore":0,"actionProbabilityFloor":0}}`, "gamma is missing"},
		{"missing floor", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0}}`, "actionProbabilityFloor is missing"},
		{"missing default score", `{"banditKey":"bad","modelData":{"gamma":1,"actionProbabilityFloor":0}}`, "defaultActionScore is missing"},
		{"negative gamma", `{"banditKey":"bad","modelData":{"gamma":-1,"defaultActionScore":0,"actionProbabilityFloor":0}}`, "negative"},
		{"floor above 1", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":1.5}}`, "outside [0, 1]"},
		{"negative floor", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":-0.1}}`, "outside [0, 1]"},
		{"gamma out of float64 range", `{"banditKey":"bad","modelData":{"gamma":1e400,"defaultActionScore":0,"actionProbabilityFloor":0}}`, "gamma"},
		{"string number", `{"banditKey":"bad","modelData":{"gamma":"NaN","defaultActionScore":0,"actionProbabilityFloor":0}}`, "gamma"},
		{"intercept out of range", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":0,
			"coefficients":{"a":{"intercept":-1e999}}}}`, "intercept"},
		{"value coefficient out of range", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":0,
			"coefficients":{"a":{"intercept":0,"actionCategoricalCoefficients":[{"attributeKey":"c","valueCoefficients":{"v":1e999}}]}}}}`, "valueCoefficients"},
		{"coefficient list not a list", `{"banditKey":"bad","modelData":{"gamma":1,"defaultActionScore":0,"actionProbabilityFloor":0,
			"coefficients":{"a":{"subjectNumericCoefficients":{}}}}}`, "subjectNumericCoefficients"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := `{"bandits":{"good":` + strings.Replace(validModel, "%s", "good", 1) + `,"bad":` + c.body + `}}`
			ms, err := ParseModels([]byte(doc))
			if err != nil {
				t.Fatalf("ParseModels: %v", err)
			}
			if _, err := ms.Lookup("good"); err != nil {
				t.Errorf("good model was affected: %v", err)
			}
			_, err = ms.Lookup("bad")
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("Lookup(bad) error = %v, want ErrInvalidModel", err)
			}
			if !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), `"bad"`) {
				t.Errorf("error %q does not name the bandit and mention %q", err, c.wantErr)
			}
			if _, ok := ms.Bandits["bad"]; ok {
				t.Error("malformed model is also in Bandits")
			}
		})
	}
}

func TestParseModelsLenient(t *testing.T) {
	doc := `{"updatedAt": 17, "environment": "prod", "future": [1,2], "bandits": {"good": {"banditKey": "good",
		"modelVersion": "v1", "updatedAt": "yesterday", "owner": {"team": "x"}, "modelData": {"gamma": 1,
		"defaultActionScore": 0, "actionProbabilityFloor": 0, "extra": true, "coefficients": {"a": {"intercept": 1,
		"weights": [1], "subjectNumericCoefficients": null}}}}}}`
	ms, err := ParseModels([]byte(doc))
	if err != nil {
		t.Fatalf("ParseModels: %v", err)
	}
	if !ms.UpdatedAt.IsZero() || ms.Environment != "" {
		t.Errorf("wrongly typed informational fields should read as absent, got %v %q", ms.UpdatedAt, ms.Environment)
	}
	m, err := ms.Lookup("good")
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	if m.Version != "v1" || !m.UpdatedAt.IsZero() {
		t.Errorf("got version %q updatedAt %v", m.Version, m.UpdatedAt)
	}

	empty, err := ParseModels([]byte(`{"bandits": null}`))
	if err != nil || len(empty.Bandits) != 0 {
		t.Fatalf("null bandits: %v, %v", empty, err)
	}
}

func TestParseModelsRejectsMalformedDocument(t *testing.T) {
	for _, doc := range []string{``, `null`, `[]`, `{"bandits": `, `{"bandits": []}`, `{"bandits": {"a": }}`, `"x"`} {
		if ms, err := ParseModels([]byte(doc)); err == nil {
			t.Errorf("ParseModels(%q) = %+v, want an error", doc, ms)
		}
	}
}

func TestLookupNotFound(t *testing.T) {
	for _, ms := range []*Models{nil, fixtureModels(t)} {
		if _, err := ms.Lookup("nope"); !errors.Is(err, ErrModelNotFound) {
			t.Errorf("Lookup(nope) on %v: error %v, want ErrModelNotFound", ms, err)
		}
	}
}
