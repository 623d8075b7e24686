package examples_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

// readmeSnippet is one Go program of the README and the section it stands in.
type readmeSnippet struct {
	section string // the "## " heading above it
	index   int    // 1-based position among the snippets of that section
	code    string
}

func (s readmeSnippet) name() string {
	return strings.ReplaceAll(strings.TrimPrefix(s.section, "## "), " ", "_") + "#" + string(rune('0'+s.index))
}

var sectionHeading = regexp.MustCompile(`(?m)^## .*$`)

// readmeSnippets returns every ```go block of the README with its section.
func readmeSnippets(t *testing.T) []readmeSnippet {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	var out []readmeSnippet
	perSection := map[string]int{}
	for _, m := range goBlock.FindAllStringSubmatchIndex(text, -1) {
		section := ""
		for _, h := range sectionHeading.FindAllStringIndex(text[:m[0]], -1) {
			section = text[h[0]:h[1]]
		}
		perSection[section]++
		out = append(out, readmeSnippet{section: section, index: perSection[section], code: text[m[2]:m[3]]})
	}
	return out
}

// snippetRun is what a README snippet printed, and where it ran.
type snippetRun struct {
	dir    string // the fresh module the snippet ran in, with testdata/demo beside main.go
	output string // stdout and stderr together
	err    error
}

// snippetCheck prepares the peers a snippet needs (returned as environment variables) and checks its run.
type snippetCheck struct {
	env   func(t *testing.T) []string
	check func(t *testing.T, r snippetRun)
}

// TestREADMESnippetsRun pastes every Go snippet of the README into a fresh main.go of a fresh module (a
// replace directive points at this checkout), next to a copy of the bundled testdata/demo, runs it against
// the local peers it needs, and checks what it printed and wrote. A snippet with no check fails the test.
func TestREADMESnippetsRun(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	snippets := readmeSnippets(t)
	if len(snippets) < 4 {
		t.Fatalf("found %d Go snippets in the README, expected at least 4", len(snippets))
	}
	for _, s := range snippets {
		t.Run(s.name(), func(t *testing.T) {
			c, ok := readmeChecks[s.name()]
			if !ok {
				t.Fatalf("README snippet %s has no check in readmeChecks: every snippet must be run and checked", s.name())
			}
			var env []string
			if c.env != nil {
				env = c.env(t)
			}
			c.check(t, runSnippet(t, root, s.code, env))
		})
	}
}

// runSnippet writes code as main.go of a new module in a temporary directory and runs it there.
func runSnippet(t *testing.T, root, code string, env []string) snippetRun {
	t.Helper()
	dir := t.TempDir()
	gomod := "module example.com/readme\n\ngo 1.26.0\n\nrequire github.com/eppokit/eppokit v0.0.0\n\n" +
		"replace github.com/eppokit/eppokit => " + root + "\n"
	write(t, filepath.Join(dir, "go.mod"), []byte(gomod))
	write(t, filepath.Join(dir, "main.go"), []byte(code))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.sum"), sum)
	copyDir(t, filepath.Join(root, "testdata", "demo"), filepath.Join(dir, "testdata", "demo"))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		return cmd
	}
	if out, err := goCmd("mod", "tidy").CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "snippet")
	if out, err := goCmd("build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("the snippet does not compile: %v\n%s\n%s", err, out, code)
	}
	if out, err := exec.Command("gofmt", "-l", filepath.Join(dir, "main.go")).Output(); err == nil && len(out) > 0 {
		t.Errorf("the snippet is not gofmt-formatted")
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	// Any request a snippet makes to a host other than this machine's peers fails at once.
	cmd.Env = append(os.Environ(), "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("the snippet did not finish in time; it printed:\n%s", out.String())
	}
	t.Logf("the snippet printed:\n%s", out.String())
	return snippetRun{dir: dir, output: out.String(), err: err}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(to, e.Name()), data)
	}
}

// cdnPeer serves the bundled demo configuration the way Eppo's CDN does and returns the environment that
// points a snippet at it.
func cdnPeer(t *testing.T) []string {
	t.Helper()
	flags, err := os.ReadFile(filepath.Join("..", "testdata", "demo", "flags.json"))
	if err != nil {
		t.Fatal(err)
	}
	bandits, err := os.ReadFile(filepath.Join("..", "testdata", "demo", "bandits.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("apiKey") != "readme-test-key" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/api/flag-config/v1/config":
			w.Header().Set("ETag", `"readme-1"`)
			w.Write(flags)
		case "/api/flag-config/v1/bandits":
			w.Write(bandits)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return []string{"EPPO_API_KEY=readme-test-key", "EPPO_BASE_URL=" + srv.URL + "/api"}
}

// readCSVDir reads every CSV file in dir and returns their rows (header rows included).
func readCSVDir(t *testing.T, dir string) [][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s is not valid CSV: %v", f, err)
		}
		rows = append(rows, recs...)
	}
	return rows
}

// rowWith reports whether some row holds every one of values in some cell.
func rowWith(rows [][]string, values ...string) bool {
	for _, r := range rows {
		found := 0
		for _, v := range values {
			for _, cell := range r {
				if cell == v {
					found++
					break
				}
			}
		}
		if found == len(values) {
			return true
		}
	}
	return false
}

func mustSucceed(t *testing.T, r snippetRun) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("the snippet failed: %v\n%s", r.err, r.output)
	}
}

func mustPrint(t *testing.T, r snippetRun, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.output, w) {
			t.Errorf("the snippet's output lacks %q:\n%s", w, r.output)
		}
	}
}

// readmeChecks says, for each README snippet, what running it must show. The expected variations come from
// testdata/demo/flags.json (for example new-user-onboarding: user-7 in FR lands in the experiment's yellow
// split, user-42 in the US in the rollout's blue one).
var readmeChecks = map[string]snippetCheck{
	"Quickstart#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "user-7 sees yellow\n", `"delivered":1`)
		if strings.Contains(r.output, "default served") {
			t.Errorf("the Quickstart's subject got the default:\n%s", r.output)
		}
		if !rowWith(readCSVDir(t, filepath.Join(r.dir, "exposures")), "new-user-onboarding", "user-7", "yellow") {
			t.Errorf("no exposure row for user-7 in exposures/*.csv")
		}
	}},
	"Choosing_an_adapter#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "shipping exposures through csv")
	}},
	"Configuration_lifecycle#1": {env: cdnPeer, check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "flags updated", "from=cdn", `etag="\"readme-1\""`)
	}},
	"Contextual_bandits#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "assignment event: banner_bandit_flag banner_bandit\n",
			"bandit event: banner_bandit chose nike (p=0.88, model 123)\n", "show nike\n")
		if n := strings.Count(r.output, "bandit event:"); n != 1 {
			t.Errorf("the bandit snippet logged %d bandit events, want 1", n)
		}
	}},
	"Testing_your_code#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "user-1 treatment MATCH subjects-treatment\n", "user-2 control MATCH everyone\n",
			"limit 100\n", "override treatment override-treatment\n", "3 exposures logged\n")
	}},
	"OpenFeature#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "user-42 sees blue via OpenFeature: blue TARGETING_MATCH <nil>")
		if !rowWith(readCSVDir(t, filepath.Join(r.dir, "exposures")), "new-user-onboarding", "user-42", "blue") {
			t.Errorf("no exposure row for user-42 in exposures/*.csv")
		}
	}},
	"Metrics:_OpenTelemetry_and_Prometheus#1": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, "eppokit.exposures.accepted 1\n", "eppokit.exposures.delivered 1\n", "feature_flag.evaluations 1\n")
	}},
	"Metrics:_OpenTelemetry_and_Prometheus#2": {check: func(t *testing.T, r snippetRun) {
		mustSucceed(t, r)
		mustPrint(t, r, `eppokit_exposures_accepted_total{eppokit_sink="warehouse"`,
			`feature_flag_evaluations_total{`, `feature_flag_key="new-user-onboarding"`, `feature_flag_result_variant="yellow"`)
	}},
}

// TestVersionAgrees: the version every event reports is the newest one the CHANGELOG describes, and the
// README names it.
func TestVersionAgrees(t *testing.T) {
	changelog, err := os.ReadFile(filepath.Join("..", "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	newest := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)`).FindSubmatch(changelog)
	if newest == nil {
		t.Fatal("CHANGELOG.md has no '## X.Y.Z' entry")
	}
	if string(newest[1]) != core.SDKVersion {
		t.Errorf("CHANGELOG.md's newest entry is %s, core.SDKVersion is %s", newest[1], core.SDKVersion)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "eppokit "+core.SDKVersion) {
		t.Errorf("README.md does not name the current version (%q)", "eppokit "+core.SDKVersion)
	}
	if _, err := os.Stat(filepath.Join("..", "LICENSE")); err != nil {
		t.Errorf("no LICENSE: %v", err)
	}
}
