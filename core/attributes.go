package core

// Attributes are a subject's attributes for flag evaluation. Values may be strings, bools, nil, or any Go
// integer or float kind; other types are coerced as documented on the evaluation functions.
type Attributes map[string]any

// ContextAttributes are the attributes of a subject or an action as a contextual bandit sees them.
type ContextAttributes struct {
	NumericAttributes     map[string]float64
	CategoricalAttributes map[string]string
}
