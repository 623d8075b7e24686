package eppotest_test

import (
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDependencies walks the imports of eppotest's non-test files, and of this module's packages they
// reach, as `go list -deps` would: eppotest imports only the standard library and core, and nothing it
// reaches lies outside the standard library and this module (so a test helper adds no module to a build).
func TestDependencies(t *testing.T) {
	root, module := moduleOf(t)
	self := module + "/core/eppotest"
	external := map[string][]string{} // import path → importing packages
	seen := map[string]bool{}
	var walk func(pkg string)
	walk = func(pkg string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		for _, imp := range imports(t, filepath.Join(root, strings.TrimPrefix(pkg, module))) {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				if pkg == self && imp != module+"/core" {
					t.Errorf("eppotest imports %s; it may import only the standard library and core", imp)
				}
				walk(imp)
			case !strings.Contains(strings.Split(imp, "/")[0], "."):
				// standard library
			default:
				external[imp] = append(external[imp], strings.TrimPrefix(pkg, module+"/"))
			}
		}
	}
	walk(self)
	if len(seen) < 3 {
		t.Fatalf("walked only %v: the import walk is broken", slices.Sorted(maps.Keys(seen)))
	}
	for imp, by := range external {
		t.Errorf("eppotest reaches %s (imported by %v), which is neither the standard library nor this module", imp, by)
	}
}

// imports lists the imports of the non-test Go files in dir.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range parsed.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}

// moduleOf finds go.mod above the working directory and returns its directory and module path.
func moduleOf(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(data)) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					return dir, strings.TrimSpace(rest)
				}
			}
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}
