package examples_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestREADMESnippetsCompile builds every Go snippet of the README, so the documentation cannot rot.
func TestREADMESnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	if i := strings.Index(text, "make demo"); i < 0 || i > strings.Index(text, "make test") || i > 1500 {
		t.Fatal("the README must open with `make demo` and `make test`")
	}
	blocks := goBlock.FindAllStringSubmatch(text, -1)
	if len(blocks) < 4 {
		t.Fatalf("found %d Go snippets in the README, expected at least 4", len(blocks))
	}
	for i, b := range blocks {
		t.Run(fmt.Sprint("snippet", i+1), func(t *testing.T) {
			if !strings.HasPrefix(b[1], "package main") {
				t.Fatalf("snippet %d is not a complete program (package main):\n%s", i+1, b[1])
			}
			// A directory starting with "_" is ignored by ./... patterns but builds when named.
			dir, err := os.MkdirTemp(".", "_readme_snippet_")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(b[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("go", "build", "-o", os.DevNull, "./"+filepath.Base(dir)).CombinedOutput()
			if err != nil {
				t.Fatalf("snippet %d does not compile: %v\n%s\n%s", i+1, err, out, b[1])
			}
			if gofmt, err := exec.Command("gofmt", "-l", dir).Output(); err == nil && len(gofmt) > 0 {
				t.Errorf("snippet %d is not gofmt-formatted", i+1)
			}
		})
	}
}
