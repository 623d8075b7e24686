package csv

import "github.com/eppokit/eppokit/adapters/internal/eventcodec"

// Default file names, relative to the directory given to [NewSink].
const (
	DefaultAssignmentFile = "assignments.csv"
	DefaultBanditFile     = "bandit_actions.csv"
)

// Option configures a [Sink].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	assignmentFile string
	banditFile     string
	naming         eventcodec.Naming
	formulaGuard   bool
	// wrap lets in-package tests put a failing writer around a real file.
	wrap func(*osFile) file
}

func newConfig(opts []Option) config {
	c := config{
		assignmentFile: DefaultAssignmentFile,
		banditFile:     DefaultBanditFile,
		formulaGuard:   true,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithFileNames sets the assignment and bandit file names. A relative name is taken inside the directory
// given to [NewSink]; an absolute one is used as is. An empty name keeps the default
// ([DefaultAssignmentFile], [DefaultBanditFile]).
func WithFileNames(assignments, bandits string) Option {
	return optionFunc(func(c *config) {
		if assignments != "" {
			c.assignmentFile = assignments
		}
		if bandits != "" {
			c.banditFile = bandits
		}
	})
}

// WithWarehouseNaming writes Eppo's snake_case warehouse column names (feature_flag, subject_attributes,
// flag_key, action_probability, ..., event_id) instead of the default camelCase ones.
func WithWarehouseNaming() Option {
	return optionFunc(func(c *config) { c.naming = eventcodec.Warehouse })
}

// WithoutFormulaGuard stores free-text cells exactly as given, without the quote the formula-injection
// guard adds in front of a leading '=', '+', '-', '@', tab or carriage return. The guard is on by default.
func WithoutFormulaGuard() Option {
	return optionFunc(func(c *config) { c.formulaGuard = false })
}
