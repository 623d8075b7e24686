package core

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned (wrapped) by the assignment functions. Test for them with errors.Is.
var (
	// ErrNotInitialized: the client has no configuration yet, or is a nil *Client.
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
	// ErrNoActions: a bandit was given no actions to choose from. GetBanditAction does not return it (no
	// actions is a normal case: the result has the variation and a nil action); it remains for callers
	// that matched it.
	ErrNoActions = errors.New("eppokit: no actions supplied for bandit")
	// ErrInvalidConfiguration: NewConfiguration could not parse its input at all.
	ErrInvalidConfiguration = errors.New("eppokit: invalid configuration")
	// ErrNoConfigurationSource: the client has neither an APIKey nor an InitialConfiguration, and no
	// SetConfiguration call gave it one, so waiting cannot help. Errors matching it also match
	// [ErrNotInitialized].
	ErrNoConfigurationSource = errors.New("eppokit: no configuration source: Config has neither APIKey nor InitialConfiguration, and SetConfiguration was not called")
)

// Errors returned as they are, built once.
var (
	errNilClient = fmt.Errorf("%w: the client is nil (NewClient failed or was not called)", ErrNotInitialized)
	errNoSource  = &chainError{msg: ErrNoConfigurationSource.Error(), errs: []error{ErrNoConfigurationSource, ErrNotInitialized}}
)

// chainError is an error whose message is written for the reader and which matches the errors it wraps.
type chainError struct {
	msg  string
	errs []error
}

func (e *chainError) Error() string   { return e.msg }
func (e *chainError) Unwrap() []error { return e.errs }

// chain returns an error reading "eppokit: <context>: <cause>" with the cause's own "eppokit: " prefix
// dropped, so the prefix appears once however deep the chain. It matches cause and also with errors.Is.
func chain(context string, cause error, also ...error) error {
	msg := strings.TrimPrefix(cause.Error(), "eppokit: ")
	if context != "" {
		msg = context + ": " + msg
	}
	return &chainError{msg: "eppokit: " + msg, errs: append([]error{cause}, also...)}
}

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
