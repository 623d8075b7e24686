package examples_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestREADMEOpensWithItsCommands: the README's first lines give the two commands that work on a fresh
// machine. Its Go snippets are run (not only compiled) by TestREADMESnippetsRun.
func TestREADMEOpensWithItsCommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	if i := strings.Index(text, "make demo"); i < 0 || i > strings.Index(text, "make test") || i > 1500 {
		t.Fatal("the README must open with `make demo` and `make test`")
	}
}
