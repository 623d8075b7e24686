package bandit_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eppokit/eppokit/core/internal/bandit"
)

// Parse the bandit models response once, then choose an action for a subject.
func Example() {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "sdk-test-data", "ufc", "bandit-models-v1.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	models, err := bandit.ParseModels(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	model, err := models.Lookup("banner_bandit")
	if err != nil {
		fmt.Println(err)
		return
	}
	actions := []bandit.Action{
		{Key: "nike", Numeric: map[string]float64{"brand_affinity": 1.5}, Categorical: map[string]string{"loyalty_tier": "silver"}},
		{Key: "adidas", Numeric: map[string]float64{"brand_affinity": -1.0}, Categorical: map[string]string{"loyalty_tier": "bronze"}},
		{Key: "reebok", Numeric: map[string]float64{"brand_affinity": 0.5}, Categorical: map[string]string{"loyalty_tier": "gold"}},
	}
	sel, err := model.Select("banner_bandit_flag", "alice",
		map[string]float64{"age": 25}, map[string]string{"country": "USA", "gender_identity": "female"}, actions)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (model %s): p=%.4f gap=%g\n", sel.Key, model.Version, sel.Probability, sel.OptimalityGap)
	// Output: nike (model 123): p=0.7923 gap=0
}

// A model that fails to compile is reported on its own; the other models stay usable.
func ExampleModels_Lookup() {
	models, err := bandit.ParseModels([]byte(`{"bandits": {
		"ok":  {"banditKey": "ok", "modelData": {"gamma": 1, "defaultActionScore": 0, "actionProbabilityFloor": 0}},
		"bad": {"banditKey": "bad", "modelData": {"gamma": -1, "defaultActionScore": 0, "actionProbabilityFloor": 0}}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, okErr := models.Lookup("ok")
	_, badErr := models.Lookup("bad")
	_, missingErr := models.Lookup("missing")
	fmt.Println(okErr)
	fmt.Println(badErr)
	fmt.Println(missingErr)
	// Output:
	// <nil>
	// bandit "bad": invalid model: modelData.gamma -1 is negative
	// bandit "missing": model not found
}
