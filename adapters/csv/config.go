package csv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eppokit/eppokit/adapters/internal/eventcodec"
	"github.com/eppokit/eppokit/batching"
)

// Default file names, relative to [Config.Dir].
const (
	DefaultAssignmentFile = "assignments.csv"
	DefaultBanditFile     = "bandit_actions.csv"
)

var (
	// ErrInvalidConfig is wrapped by the error of [NewSink] and [NewLogger] when a [Config] cannot be
	// used; the message names the field.
	ErrInvalidConfig = errors.New("csv: invalid configuration")
	// ErrClosed is the cause of the permanent error Export returns after Close. It is
	// [batching.ErrClosed], so one errors.Is test works for every adapter and the pipeline.
	ErrClosed = batching.ErrClosed
)

// Config configures a [Sink]. Every zero field takes its default, so Config{Dir: "exposures"} is a
// complete configuration.
type Config struct {
	// Dir is the directory of the files. It is created, with its parents, when missing. Default: the
	// working directory.
	Dir string
	// AssignmentFile and BanditFile name the two files. A relative name is taken inside Dir, an absolute
	// one is used as is. Defaults [DefaultAssignmentFile] and [DefaultBanditFile].
	AssignmentFile, BanditFile string
	// WarehouseNaming writes Eppo's snake_case warehouse column names (feature_flag, subject_attributes,
	// flag_key, action_probability, ..., event_id) instead of the default camelCase ones (featureFlag,
	// subjectAttributes, ..., eventId).
	WarehouseNaming bool
	// FormulaGuard prefixes a free-text cell that a spreadsheet would run as a formula with a single
	// quote. Default false: every value is written exactly as it is. Set it only for files that people
	// open in a spreadsheet program; see the package documentation for what it costs.
	FormulaGuard bool

	// wrap lets in-package tests put a failing writer around a real file.
	wrap func(*osFile) file
}

// paths returns the two files' paths, after creating the directories they live in.
func (c Config) paths() (assignments, bandits string, err error) {
	assignments = resolve(c.Dir, c.AssignmentFile, DefaultAssignmentFile)
	bandits = resolve(c.Dir, c.BanditFile, DefaultBanditFile)
	if assignments == bandits {
		return "", "", fmt.Errorf("%w: AssignmentFile and BanditFile are the same file (%s)", ErrInvalidConfig,
			assignments)
	}
	for _, p := range []string{assignments, bandits} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", "", fmt.Errorf("csv: cannot create the directory of %s: %w", p, err)
		}
	}
	return assignments, bandits, nil
}

func (c Config) naming() eventcodec.Naming {
	if c.WarehouseNaming {
		return eventcodec.Warehouse
	}
	return eventcodec.CamelCase
}

func resolve(dir, name, def string) string {
	if name == "" {
		name = def
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, name)
}
