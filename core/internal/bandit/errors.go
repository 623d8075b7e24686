package bandit

import "errors"

var (
	// ErrInvalidModel marks a bandit model that could not be compiled; the wrapped message says why.
	// Other models of the same response are unaffected.
	ErrInvalidModel = errors.New("invalid model")
	// ErrModelNotFound is returned by [Models.Lookup] for a bandit key the response does not contain.
	ErrModelNotFound = errors.New("model not found")
	// ErrNoActions is returned by [Model.Select] when it is given no actions to choose from.
	ErrNoActions = errors.New("no actions")
	// ErrDuplicateAction is returned by [Model.Select] when two actions share a key.
	ErrDuplicateAction = errors.New("duplicate action key")
)
