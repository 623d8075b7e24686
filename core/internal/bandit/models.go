package bandit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core/internal/jsonerr"
)

// Models is a parsed bandit models response (/flag-config/v1/bandits). It is immutable after parsing and safe
// for concurrent use.
type Models struct {
	// UpdatedAt is the response's updatedAt; zero when absent or not RFC 3339.
	UpdatedAt time.Time
	// Environment is environment.name; empty when absent.
	Environment string
	// Bandits holds every model that compiled, by bandit key.
	Bandits map[string]*Model
	// Errors holds, by bandit key, why a model could not be compiled. Each error wraps [ErrInvalidModel].
	// A key is in Bandits or in Errors, never in both.
	Errors map[string]error
}

// Lookup returns the model for a bandit key. The error wraps [ErrModelNotFound] when the response has no such
// bandit, or [ErrInvalidModel] when it has one that could not be compiled. Lookup on a nil *Models reports
// every key as not found.
func (ms *Models) Lookup(banditKey string) (*Model, error) {
	if ms != nil {
		if m, ok := ms.Bandits[banditKey]; ok {
			return m, nil
		}
		if err, ok := ms.Errors[banditKey]; ok {
			return nil, err
		}
	}
	return nil, fmt.Errorf("bandit %q: %w", banditKey, ErrModelNotFound)
}

// Model is one compiled bandit model. It is immutable and safe for concurrent use.
type Model struct {
	// Key is the bandit key (banditKey), equal to the key the model is filed under.
	Key string
	// Name is the informational modelName ("falcon").
	Name string
	// Version is modelVersion, copied into bandit events.
	Version string
	// UpdatedAt is the model's updatedAt; zero when absent or not RFC 3339.
	UpdatedAt time.Time

	gamma        float64
	defaultScore float64
	floor        float64
	// actions holds the coefficients by action key; actions without an entry score defaultScore.
	actions map[string]*actionModel
	// subject lists the subject attributes the coefficients read, so Select looks each up once per call.
	subject subjectIndex
	// pool recycles the per-call scratch of Select.
	pool sync.Pool
}

// actionModel is the compiled coefficients of one action: a linear model over subject and action attributes.
type actionModel struct {
	intercept          float64
	subjectNumeric     []numericTerm
	subjectCategorical []categoricalTerm
	actionNumeric      []numericTerm
	actionCategorical  []categoricalTerm
}

type numericTerm struct {
	key     string
	coef    float64
	missing float64
	// slot is the attribute's place in the model's subjectIndex (subject terms only).
	slot int
}

type categoricalTerm struct {
	key     string
	values  map[string]float64
	missing float64
	// slot is the attribute's place in the model's subjectIndex and bySlot holds the coefficient of each of
	// that attribute's known values, NaN where this term lists none (subject terms only).
	slot   int
	bySlot []float64
}

type wireResponse struct {
	UpdatedAt   json.RawMessage            `json:"updatedAt"`
	Environment json.RawMessage            `json:"environment"`
	Bandits     map[string]json.RawMessage `json:"bandits"`
}

type wireModel struct {
	BanditKey    string         `json:"banditKey"`
	ModelName    string         `json:"modelName"`
	ModelVersion string         `json:"modelVersion"`
	UpdatedAt    string         `json:"updatedAt"`
	ModelData    *wireModelData `json:"modelData"`
}

type wireModelData struct {
	Gamma                  *float64                    `json:"gamma"`
	DefaultActionScore     *float64                    `json:"defaultActionScore"`
	ActionProbabilityFloor *float64                    `json:"actionProbabilityFloor"`
	Coefficients           map[string]wireCoefficients `json:"coefficients"`
}

type wireCoefficients struct {
	Intercept                      float64           `json:"intercept"`
	SubjectNumericCoefficients     []wireNumeric     `json:"subjectNumericCoefficients"`
	SubjectCategoricalCoefficients []wireCategorical `json:"subjectCategoricalCoefficients"`
	ActionNumericCoefficients      []wireNumeric     `json:"actionNumericCoefficients"`
	ActionCategoricalCoefficients  []wireCategorical `json:"actionCategoricalCoefficients"`
}

type wireNumeric struct {
	AttributeKey            string  `json:"attributeKey"`
	Coefficient             float64 `json:"coefficient"`
	MissingValueCoefficient float64 `json:"missingValueCoefficient"`
}

type wireCategorical struct {
	AttributeKey            string             `json:"attributeKey"`
	ValueCoefficients       map[string]float64 `json:"valueCoefficients"`
	MissingValueCoefficient float64            `json:"missingValueCoefficient"`
}

// ParseModels parses and compiles a bandit models response. Unknown fields are ignored. A malformed model
// (wrong field types, numbers out of range, missing banditKey or modelData, negative gamma, a floor outside
// [0, 1]) is recorded in [Models.Errors] and does not affect the others; only a document that is not a JSON
// object, or whose "bandits" is not an object, is an error.
func ParseModels(data []byte) (*Models, error) {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("the response is not a JSON object")
	}
	var w wireResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, errors.New(jsonerr.Describe(err))
	}
	ms := &Models{
		UpdatedAt: parseTime(w.UpdatedAt),
		Bandits:   make(map[string]*Model, len(w.Bandits)),
		Errors:    map[string]error{},
	}
	var env struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(w.Environment, &env) == nil {
		ms.Environment = env.Name
	}
	for key, raw := range w.Bandits {
		m, err := compileModel(key, raw)
		if err != nil {
			ms.Errors[key] = fmt.Errorf("bandit %q: %w: %w", key, ErrInvalidModel, err)
			continue
		}
		ms.Bandits[key] = m
	}
	return ms, nil
}

func compileModel(key string, raw json.RawMessage) (*Model, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, fmt.Errorf("model is null")
	}
	var w wireModel
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, errors.New(jsonerr.Describe(err))
	}
	switch {
	case w.BanditKey == "":
		return nil, fmt.Errorf("banditKey is missing")
	case w.BanditKey != key:
		return nil, fmt.Errorf("banditKey %q differs from the key it is filed under", w.BanditKey)
	case w.ModelData == nil:
		return nil, fmt.Errorf("modelData is missing")
	}
	d := w.ModelData
	gamma, err := required("gamma", d.Gamma)
	if err != nil {
		return nil, err
	}
	if gamma < 0 {
		return nil, fmt.Errorf("modelData.gamma %v is negative", gamma)
	}
	defaultScore, err := required("defaultActionScore", d.DefaultActionScore)
	if err != nil {
		return nil, err
	}
	floor, err := required("actionProbabilityFloor", d.ActionProbabilityFloor)
	if err != nil {
		return nil, err
	}
	if floor < 0 || floor > 1 {
		return nil, fmt.Errorf("modelData.actionProbabilityFloor %v is outside [0, 1]", floor)
	}
	m := &Model{
		Key:          key,
		Name:         w.ModelName,
		Version:      w.ModelVersion,
		UpdatedAt:    parseTimeString(w.UpdatedAt),
		gamma:        gamma,
		defaultScore: defaultScore,
		floor:        floor,
		actions:      make(map[string]*actionModel, len(d.Coefficients)),
	}
	for action, c := range d.Coefficients {
		am, err := compileAction(c)
		if err != nil {
			return nil, fmt.Errorf("coefficients[%q]: %w", action, err)
		}
		m.actions[action] = am
	}
	m.subject = newSubjectIndex(m.actions)
	return m, nil
}

// required returns a modelData number that must be present and finite.
func required(name string, v *float64) (float64, error) {
	if v == nil {
		return 0, fmt.Errorf("modelData.%s is missing", name)
	}
	if !finite(*v) {
		return 0, fmt.Errorf("modelData.%s %v is not finite", name, *v)
	}
	return *v, nil
}

func compileAction(c wireCoefficients) (*actionModel, error) {
	if !finite(c.Intercept) {
		return nil, fmt.Errorf("intercept %v is not finite", c.Intercept)
	}
	am := &actionModel{intercept: c.Intercept}
	var err error
	if am.subjectNumeric, err = compileNumeric("subjectNumericCoefficients", c.SubjectNumericCoefficients); err != nil {
		return nil, err
	}
	if am.actionNumeric, err = compileNumeric("actionNumericCoefficients", c.ActionNumericCoefficients); err != nil {
		return nil, err
	}
	if am.subjectCategorical, err = compileCategorical("subjectCategoricalCoefficients", c.SubjectCategoricalCoefficients); err != nil {
		return nil, err
	}
	if am.actionCategorical, err = compileCategorical("actionCategoricalCoefficients", c.ActionCategoricalCoefficients); err != nil {
		return nil, err
	}
	return am, nil
}

func compileNumeric(list string, ws []wireNumeric) ([]numericTerm, error) {
	terms := make([]numericTerm, len(ws))
	for i, w := range ws {
		if !finite(w.Coefficient) || !finite(w.MissingValueCoefficient) {
			return nil, fmt.Errorf("%s[%d] (%q) has a non-finite coefficient", list, i, w.AttributeKey)
		}
		terms[i] = numericTerm{key: w.AttributeKey, coef: w.Coefficient, missing: w.MissingValueCoefficient}
	}
	return terms, nil
}

func compileCategorical(list string, ws []wireCategorical) ([]categoricalTerm, error) {
	terms := make([]categoricalTerm, len(ws))
	for i, w := range ws {
		if !finite(w.MissingValueCoefficient) {
			return nil, fmt.Errorf("%s[%d] (%q) has a non-finite missingValueCoefficient", list, i, w.AttributeKey)
		}
		for v, c := range w.ValueCoefficients {
			if !finite(c) {
				return nil, fmt.Errorf("%s[%d] (%q) has a non-finite coefficient for %q", list, i, w.AttributeKey, v)
			}
		}
		terms[i] = categoricalTerm{key: w.AttributeKey, values: w.ValueCoefficients, missing: w.MissingValueCoefficient}
	}
	return terms, nil
}

// parseTime reads an RFC 3339 JSON string leniently: anything else gives the zero time.
func parseTime(raw json.RawMessage) time.Time {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}
	}
	return parseTimeString(s)
}

func parseTimeString(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
