// Package demo holds what the example programs share: flags, loading the configuration (bundled files or
// Eppo's CDN), a synthetic population of subjects, the per-flag tally and the closing Stats line.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/eppokit/eppokit/core"
)

// Options are the command-line settings every example accepts.
type Options struct {
	Subjects    int
	FlagsFile   string
	BanditsFile string
}

// RegisterFlags declares -subjects, -flags and -bandits on the default flag set.
func RegisterFlags(defaultSubjects int) *Options {
	o := &Options{}
	flag.IntVar(&o.Subjects, "subjects", defaultSubjects, "number of subjects to evaluate")
	flag.StringVar(&o.FlagsFile, "flags", "testdata/demo/flags.json", "flags configuration (UFC JSON)")
	flag.StringVar(&o.BanditsFile, "bandits", "testdata/demo/bandits.json", "bandit models JSON (empty: none)")
	return o
}

// Fail prints a one-line reason and exits non-zero: examples never end with a stack trace.
func Fail(format string, args ...any) {
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ") // one line, whatever the error holds
	fmt.Fprintln(os.Stderr, "error: "+msg)
	os.Exit(1)
}

// NewClient builds the evaluation client: from Eppo's CDN when EPPO_API_KEY is set (waiting up to 10 s for
// the first configuration), otherwise offline from the files named by o.
func NewClient(o *Options, assignments core.AssignmentLogger, bandits core.BanditLogger) (*core.Client, error) {
	cfg := core.Config{AssignmentLogger: assignments, BanditLogger: bandits}
	if key := os.Getenv("EPPO_API_KEY"); key != "" {
		cfg.APIKey = key
		cfg.BaseURL = os.Getenv("EPPO_BASE_URL")
		client, err := core.NewClient(cfg)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.WaitForInitialization(ctx); err != nil {
			client.Close(context.Background())
			return nil, fmt.Errorf("no configuration from the CDN: %w", err)
		}
		return client, nil
	}
	flags, err := readBundled(o.FlagsFile)
	if err != nil {
		return nil, err
	}
	var models []byte
	if o.BanditsFile != "" {
		if models, err = readBundled(o.BanditsFile); err != nil {
			return nil, err
		}
	}
	if cfg.InitialConfiguration, err = core.NewConfiguration(flags, models); err != nil {
		return nil, err
	}
	return core.NewClient(cfg)
}

// readBundled reads path, relative to the working directory or, failing that, to the module root, so the
// examples work with `go run` from anywhere inside the repository.
func readBundled(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil || filepath.IsAbs(path) || !errors.Is(err, os.ErrNotExist) {
		return b, err
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		if b, err2 := os.ReadFile(filepath.Join(root, path)); err2 == nil {
			return b, nil
		}
	}
	return nil, err
}

// PrintStats writes v as one line of JSON: the examples' last line.
func PrintStats(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		Fail("encoding stats: %v", err)
	}
	fmt.Fprintln(w, string(b))
}
