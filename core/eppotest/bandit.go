package eppotest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"

	"github.com/eppokit/eppokit/core"
)

// Bandit is a contextual bandit model for [FlagBuilder.Bandit]: a score per action (the intercept of
// its coefficients; attribute coefficients are not modeled) and the exploration parameter gamma. Actions
// the model does not list score 0. The evaluator picks actions by Eppo's inverse gap weighting, where a
// larger gamma favors the best-scoring action more: with gamma 1e6 and scores one point apart, subjects
// get the best action.
type Bandit struct {
	gamma   float64
	actions map[string]float64
}

// NewBandit returns a model with gamma 1 and no actions.
func NewBandit() *Bandit { return &Bandit{gamma: 1, actions: map[string]float64{}} }

// Action sets an action's score.
func (m *Bandit) Action(key string, score float64) *Bandit {
	m.actions[key] = score
	return m
}

// Gamma sets the exploration parameter (default 1).
func (m *Bandit) Gamma(gamma float64) *Bandit {
	m.gamma = gamma
	return m
}

// Bandit links the STRING variation banditKey (added if new) to a bandit with that key and model:
// subjects the flag assigns to that variation get an action from client.GetBanditAction. Route them with
// ForAll, ForSubject, Then or Split as for any variation. A bandit key names one model: flags that share
// it should give the same one (the flag whose key sorts last wins).
func (b *FlagBuilder) Bandit(banditKey string, model *Bandit) *FlagBuilder {
	if b.vtype == 0 {
		b.vtype = core.TypeString
	}
	if b.vtype != core.TypeString {
		b.fail("Bandit", fmt.Errorf("bandits need a STRING flag, this one is %s", b.vtype))
		return b
	}
	_, _ = b.variation(banditKey) // a string always encodes for a STRING flag
	if model == nil || !finite(model.gamma) || model.gamma < 0 {
		b.fail("Bandit", fmt.Errorf("bandit %q needs a model with a finite, non-negative gamma", banditKey))
		return b
	}
	for a, score := range model.actions {
		if !finite(score) {
			b.fail("Bandit", fmt.Errorf("bandit %q: action %q has score %v", banditKey, a, score))
			return b
		}
	}
	if b.bandits == nil {
		b.bandits = map[string]*Bandit{}
	}
	b.bandits[banditKey] = &Bandit{gamma: model.gamma, actions: maps.Clone(model.actions)}
	return b
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

type ufcBanditVariation struct {
	Key            string `json:"key"`
	FlagKey        string `json:"flagKey"`
	VariationKey   string `json:"variationKey"`
	VariationValue string `json:"variationValue"`
}

type wireModels struct {
	UpdatedAt string               `json:"updatedAt"`
	Bandits   map[string]wireModel `json:"bandits"`
}

type wireModel struct {
	BanditKey    string        `json:"banditKey"`
	ModelName    string        `json:"modelName"`
	ModelVersion string        `json:"modelVersion"`
	UpdatedAt    string        `json:"updatedAt"`
	ModelData    wireModelData `json:"modelData"`
}

type wireModelData struct {
	Gamma                  float64                   `json:"gamma"`
	DefaultActionScore     float64                   `json:"defaultActionScore"`
	ActionProbabilityFloor float64                   `json:"actionProbabilityFloor"`
	Coefficients           map[string]wireActionCoef `json:"coefficients"`
}

type wireActionCoef struct {
	ActionKey                      string  `json:"actionKey"`
	Intercept                      float64 `json:"intercept"`
	SubjectNumericCoefficients     []any   `json:"subjectNumericCoefficients"`
	SubjectCategoricalCoefficients []any   `json:"subjectCategoricalCoefficients"`
	ActionNumericCoefficients      []any   `json:"actionNumericCoefficients"`
	ActionCategoricalCoefficients  []any   `json:"actionCategoricalCoefficients"`
}

// ModelVersion is the model version of every bandit the builders emit, as bandit events report it.
const ModelVersion = "eppotest"

// encodeBandits renders the flags' bandit links (for the UFC) and models (the bandits response, nil when
// no flag has a bandit).
func encodeBandits(flags map[string]*FlagBuilder, keys []string) (map[string][]ufcBanditVariation, []byte) {
	links := map[string][]ufcBanditVariation{}
	doc := wireModels{UpdatedAt: createdAt, Bandits: map[string]wireModel{}}
	for _, fk := range keys { // sorted: the last flag naming a bandit gives its model
		for bk, m := range flags[fk].bandits {
			links[bk] = append(links[bk], ufcBanditVariation{Key: bk, FlagKey: fk, VariationKey: bk, VariationValue: bk})
			coefs := make(map[string]wireActionCoef, len(m.actions))
			for a, score := range m.actions {
				coefs[a] = wireActionCoef{ActionKey: a, Intercept: score, SubjectNumericCoefficients: []any{},
					SubjectCategoricalCoefficients: []any{}, ActionNumericCoefficients: []any{},
					ActionCategoricalCoefficients: []any{}}
			}
			doc.Bandits[bk] = wireModel{BanditKey: bk, ModelName: "falcon", ModelVersion: ModelVersion,
				UpdatedAt: createdAt, ModelData: wireModelData{Gamma: m.gamma, Coefficients: coefs}}
		}
	}
	if len(doc.Bandits) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(doc)
	if err != nil { // finite numbers and strings only
		panic("eppotest: encoding bandit models: " + err.Error())
	}
	return links, out
}
