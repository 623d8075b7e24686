package core

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// moduleRoot finds the directory holding go.mod, so test data paths do not depend on the package dir.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}

// ufcDir is the conformance data bundled with the module.
func ufcDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "testdata", "sdk-test-data", "ufc")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("conformance data missing: expected Eppo's sdk-test-data ufc/ folder at %s (copy it from ../shared/sdk-test-data): %v", dir, err)
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTestdataMatchesShared checks the bundled copy against the project's shared conformance data.
func TestTestdataMatchesShared(t *testing.T) {
	root := moduleRoot(t)
	shared := filepath.Join(root, "..", "shared", "sdk-test-data")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared conformance data at %s (normal on a user's clone); the bundled copy is used as is", shared)
	}
	local := filepath.Join(root, "testdata", "sdk-test-data")
	files := func(base string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(base, p)
			out[rel] = readFile(t, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := files(shared), files(local)
	if len(want) == 0 {
		t.Fatalf("shared conformance data at %s has no files", shared)
	}
	for name, b := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("testdata/sdk-test-data lacks %s: copy it from %s", name, shared)
		case !bytes.Equal(g, b):
			t.Errorf("testdata/sdk-test-data/%s differs from the shared copy: refresh it", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("testdata/sdk-test-data/%s is not in the shared data: remove it", name)
		}
	}
}
