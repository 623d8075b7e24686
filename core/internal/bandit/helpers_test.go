package bandit

import (
	"os"
	"path/filepath"
	"testing"
)

// ufcDir is the shared conformance data, relative to this package.
var ufcDir = filepath.Join("..", "..", "..", "testdata", "sdk-test-data", "ufc")

func readUFC(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ufcDir, name))
	if err != nil {
		t.Fatalf("read conformance data: %v", err)
	}
	return data
}

// fixtureModels parses ufc/bandit-models-v1.json and fails the test if any model was rejected.
func fixtureModels(t testing.TB) *Models {
	t.Helper()
	ms, err := ParseModels(readUFC(t, "bandit-models-v1.json"))
	if err != nil {
		t.Fatalf("ParseModels(fixture): %v", err)
	}
	if len(ms.Errors) != 0 {
		t.Fatalf("fixture models rejected: %v", ms.Errors)
	}
	return ms
}

func fixtureModel(t testing.TB, key string) *Model {
	t.Helper()
	m, err := fixtureModels(t).Lookup(key)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", key, err)
	}
	return m
}

// newModel builds a model directly, for tests that need exact control over its parameters.
func newModel(gamma, defaultScore, floor float64, actions map[string]*actionModel) *Model {
	if actions == nil {
		actions = map[string]*actionModel{}
	}
	return &Model{Key: "test", gamma: gamma, defaultScore: defaultScore, floor: floor, actions: actions,
		subject: newSubjectIndex(actions)}
}

// scoreOf scores one action for a subject, for tests that check scoring on its own.
func scoreOf(m *Model, subjectNumeric map[string]float64, subjectCategorical map[string]string, action Action) float64 {
	view := subjectView{
		numeric:     make([]float64, len(m.subject.numeric)),
		categorical: make([]int, len(m.subject.categorical)),
	}
	m.subject.resolve(subjectNumeric, subjectCategorical, view)
	return m.score(view, action)
}

// indexOf returns the position of the action with key in actions, or -1.
func indexOf(actions []Action, key string) int {
	for i, a := range actions {
		if a.Key == key {
			return i
		}
	}
	return -1
}

// intercepts builds coefficients that give each action a constant score.
func intercepts(scores map[string]float64) map[string]*actionModel {
	out := make(map[string]*actionModel, len(scores))
	for k, s := range scores {
		out[k] = &actionModel{intercept: s}
	}
	return out
}

func keys(ks ...string) []Action {
	out := make([]Action, len(ks))
	for i, k := range ks {
		out[i] = Action{Key: k}
	}
	return out
}
