package core

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by the assignment functions. Test for them with errors.Is.
var (
	// ErrNotInitialized: the client has no configuration yet.
	ErrNotInitialized = errors.New("eppokit: client has no configuration yet")
	// ErrInvalidSubjectKey: the subject key is empty.
	ErrInvalidSubjectKey = errors.New("eppokit: subject key is empty")
	// ErrInvalidFlagKey: the flag key is empty.
	ErrInvalidFlagKey = errors.New("eppokit: flag key is empty")
	// ErrFlagNotFound: the configuration has no flag with that key.
	ErrFlagNotFound = errors.New("eppokit: flag not found")
	// ErrFlagDisabled: the flag exists but is disabled.
	ErrFlagDisabled = errors.New("eppokit: flag is disabled")
	// ErrTypeMismatch: the flag's variation type differs from the type asked for.
	ErrTypeMismatch = errors.New("eppokit: variation type mismatch")
	// ErrNoAllocation: the subject matched no allocation; the default value is served.
	ErrNoAllocation = errors.New("eppokit: subject is not part of any allocation")
	// ErrFlagConfiguration: the flag's configuration is unusable (bad regex, unknown operator or type,
	// a variation whose value does not fit the flag's type, ...). The rest of the configuration still serves.
	ErrFlagConfiguration = errors.New("eppokit: flag configuration error")
	// ErrBandit: a bandit could not be evaluated (model missing or malformed).
	ErrBandit = errors.New("eppokit: bandit error")
	// ErrNoActions: GetBanditAction was called without actions.
	ErrNoActions = errors.New("eppokit: no actions supplied for bandit")
	// ErrInvalidConfiguration: NewConfiguration could not parse its input at all.
	ErrInvalidConfiguration = errors.New("eppokit: invalid configuration")
)

// FlagError is the error returned for a specific flag. It wraps one of the sentinel errors above.
type FlagError struct {
	Flag   string
	Err    error  // a sentinel error
	Detail string // optional cause, e.g. the configuration problem
}

// Error names the sentinel, the flag and the cause.
func (e *FlagError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%v: flag %q: %s", e.Err, e.Flag, e.Detail)
	}
	return fmt.Sprintf("%v: flag %q", e.Err, e.Flag)
}

// Unwrap returns the sentinel error.
func (e *FlagError) Unwrap() error { return e.Err }

func flagError(flag string, err error, detail string) error {
	return &FlagError{Flag: flag, Err: err, Detail: detail}
}
