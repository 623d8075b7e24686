package bandit

import "math"

// Action is one candidate action with its attributes. Numeric values that are NaN or ±Inf count as missing.
type Action struct {
	// Key is the action key: it selects the action's coefficients and feeds its shard.
	Key string
	// Numeric holds the action's numeric attributes, read by actionNumericCoefficients.
	Numeric map[string]float64
	// Categorical holds the action's categorical attributes, read by actionCategoricalCoefficients.
	Categorical map[string]string
}

// score scores an action for a subject already resolved into view: defaultActionScore when the model has no
// coefficients for the action, otherwise the intercept plus every subject and action coefficient term. The
// result is finite: sums that overflow are clamped to ±MaxFloat64 (NaN to -MaxFloat64).
func (m *Model) score(view subjectView, action Action) float64 {
	am, ok := m.actions[action.Key]
	if !ok {
		return m.defaultScore
	}
	s := am.intercept +
		subjectNumericSum(am.subjectNumeric, view) +
		subjectCategoricalSum(am.subjectCategorical, view) +
		numericSum(am.actionNumeric, action.Numeric) +
		categoricalSum(am.actionCategorical, action.Categorical)
	return clampScore(s)
}

func numericSum(terms []numericTerm, values map[string]float64) float64 {
	var s float64
	for i := range terms {
		t := &terms[i]
		if v, ok := values[t.key]; ok && finite(v) {
			s += t.coef * v
		} else {
			s += t.missing
		}
	}
	return s
}

func categoricalSum(terms []categoricalTerm, values map[string]string) float64 {
	var s float64
	for i := range terms {
		t := &terms[i]
		if v, ok := values[t.key]; ok {
			if c, ok := t.values[v]; ok {
				s += c
				continue
			}
		}
		s += t.missing
	}
	return s
}

// clampScore keeps scores finite so that gaps, weights and the event fields derived from them stay encodable;
// only sums that overflowed float64 are changed.
func clampScore(s float64) float64 {
	switch {
	case math.IsNaN(s):
		return -math.MaxFloat64
	case s > math.MaxFloat64:
		return math.MaxFloat64
	case s < -math.MaxFloat64:
		return -math.MaxFloat64
	}
	return s
}
