// Package examples_test runs every example program against the real peers the adapter tests use (a kfake
// Kafka broker, HTTP receivers of the Segment/RudderStack batch API, real files) and checks that what the
// peer received is exactly what the program's closing Stats line reports.
package examples_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eppokit/eppokit/adapters/adapterstest/analyticspeer"
	"github.com/eppokit/eppokit/adapters/kafka"
)

const subjects = "400"

// summary is the examples' closing Stats line.
type summary struct {
	Accepted     uint64            `json:"accepted"`
	Deduplicated uint64            `json:"deduplicated"`
	Delivered    uint64            `json:"delivered"`
	Dropped      map[string]uint64 `json:"dropped"`
	Pending      uint64            `json:"pending"`
	Sinks        []struct {
		Name      string `json:"name"`
		Delivered uint64 `json:"delivered"`
	} `json:"sinks"`
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary builds every example once per test run and returns the path of one.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "eppokit-examples-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+string(os.PathSeparator),
			"./quickstart", "./segment", "./rudderstack", "./kafka", "./multi", "./relay").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the examples: %v", buildErr)
	}
	return filepath.Join(binDir, name)
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// run executes an example from the module root with env added, and returns its stdout, stderr and error.
func run(t *testing.T, name string, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, name), args...)
	cmd.Dir = ".."
	cmd.Env = append(append(os.Environ(), "EPPO_API_KEY="), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within 60 s", name)
	}
	return stdout.String(), stderr.String(), err
}

// lastLine decodes the closing Stats line and checks the accounting the examples promise.
func lastLine(t *testing.T, stdout string) summary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the Stats JSON: %q: %v", lines[len(lines)-1], err)
	}
	var dropped uint64
	for _, n := range s.Dropped {
		dropped += n
	}
	if s.Accepted == 0 || s.Deduplicated == 0 || s.Accepted != s.Delivered+dropped+s.Pending {
		t.Fatalf("stats do not add up: %+v", s)
	}
	if len(s.Dropped) != 0 || s.Pending != 0 {
		t.Fatalf("healthy peer, yet drops or pending events: %+v", s)
	}
	return s
}

func TestQuickstart(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, err := run(t, "quickstart", nil, "-subjects", subjects, "-out", out)
	if err != nil {
		t.Fatalf("quickstart: %v\n%s", err, stderr)
	}
	s := lastLine(t, stdout)
	if !strings.Contains(stdout, "FLAG") || !strings.Contains(stdout, "banner_bandit_flag") {
		t.Fatalf("no splits table:\n%s", stdout)
	}
	// The subjects new-user-onboarding assigns nothing get the caller's default, and the table says so.
	if !regexp.MustCompile(`new-user-onboarding \(STRING\) +default +\d+ +[\d.]+% +default \(not assigned\)`).MatchString(stdout) {
		t.Errorf("the default row of new-user-onboarding is not marked:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := fmt.Sprintf("csv: %d of %d exposures delivered, 0 dropped, 0 pending; %d repeats suppressed by dedupe",
		s.Delivered, s.Accepted, s.Deduplicated)
	if got := lines[len(lines)-2]; got != want {
		t.Errorf("summary line before the Stats JSON = %q, want %q", got, want)
	}
	rows := csvRows(t, filepath.Join(out, "assignments.csv")) + csvRows(t, filepath.Join(out, "bandit_actions.csv"))
	if uint64(rows) != s.Delivered {
		t.Fatalf("CSV files hold %d rows, Stats says %d delivered", rows, s.Delivered)
	}
}

func csvRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return len(records) - 1 // header
}

func TestSegment(t *testing.T) {
	peer := analyticspeer.New(t, "seg-key")
	stdout, stderr, err := run(t, "segment", []string{"SEGMENT_WRITE_KEY=seg-key", "SEGMENT_ENDPOINT=" + peer.URL},
		"-subjects", subjects)
	if err != nil {
		t.Fatalf("segment: %v\n%s", err, stderr)
	}
	s := lastLine(t, stdout)
	if got := len(peer.IDs()); uint64(got) != s.Delivered {
		t.Fatalf("peer received %d distinct messages, Stats says %d delivered", got, s.Delivered)
	}
	if p := peer.Problems(); len(p) > 0 {
		t.Fatalf("peer saw malformed requests: %v", p)
	}
}

// TestSegmentRejected runs the Segment example with a write key the receiver refuses (401): nothing is
// delivered, so the program exits non-zero and its last stderr line says why; the Stats line still ends
// stdout and counts every exposure as rejected.
func TestSegmentRejected(t *testing.T) {
	peer := analyticspeer.New(t, "seg-key")
	stdout, stderr, err := run(t, "segment", []string{"SEGMENT_WRITE_KEY=wrong-key", "SEGMENT_ENDPOINT=" + peer.URL},
		"-subjects", "50")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("segment against a 401 receiver: err = %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	errLines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := errLines[len(errLines)-1]
	if !strings.HasPrefix(last, "error: ") || !strings.Contains(last, "not delivered") || !strings.Contains(last, "401") {
		t.Errorf("last stderr line = %q, want one error line naming the loss and the 401", last)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the Stats JSON: %q: %v", lines[len(lines)-1], err)
	}
	if s.Accepted == 0 || s.Delivered != 0 || s.Dropped["rejected"] != s.Accepted {
		t.Errorf("stats = %+v, want every accepted exposure rejected", s)
	}
	if peer.Stored() != 0 || peer.Requests() == 0 {
		t.Errorf("receiver stored %d messages in %d requests, want requests and nothing stored", peer.Stored(), peer.Requests())
	}
}

func TestRudderStack(t *testing.T) {
	peer := analyticspeer.New(t, "rs-key")
	stdout, stderr, err := run(t, "rudderstack",
		[]string{"RUDDERSTACK_WRITE_KEY=rs-key", "RUDDERSTACK_DATA_PLANE_URL=" + peer.URL}, "-subjects", subjects)
	if err != nil {
		t.Fatalf("rudderstack: %v\n%s", err, stderr)
	}
	s := lastLine(t, stdout)
	if got := len(peer.IDs()); uint64(got) != s.Delivered {
		t.Fatalf("peer received %d distinct messages, Stats says %d delivered", got, s.Delivered)
	}
	if peer.Gzipped() == 0 {
		t.Fatal("RudderStack requests were not gzipped")
	}
}

func startBroker(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(3, kafka.DefaultAssignmentTopic, kafka.DefaultBanditTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// consumed reads both topics from the start and returns the distinct event IDs, waiting until want arrive.
func consumed(t *testing.T, broker string, want uint64) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker),
		kgo.ConsumeTopics(kafka.DefaultAssignmentTopic, kafka.DefaultBanditTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ids := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for uint64(len(ids)) < want && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == kafka.HeaderEventID {
					ids[string(h.Value)] = true
				}
			}
		})
	}
	// Give a surplus a moment to show up: the broker must not hold more than was reported.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
		for _, h := range r.Headers {
			if h.Key == kafka.HeaderEventID {
				ids[string(h.Value)] = true
			}
		}
	})
	cancel()
	return len(ids)
}

// TestKafka runs the Kafka example with 5,000 subjects, enough for many full batches in flight at once on
// a 3-partition topic: the broker holds exactly the events Stats reports delivered.
func TestKafka(t *testing.T) {
	broker := startBroker(t)
	stdout, stderr, err := run(t, "kafka", []string{"KAFKA_BROKERS=" + broker}, "-subjects", "5000")
	if err != nil {
		t.Fatalf("kafka: %v\n%s", err, stderr)
	}
	s := lastLine(t, stdout)
	if got := consumed(t, broker, s.Delivered); uint64(got) != s.Delivered {
		t.Fatalf("broker holds %d distinct events, Stats says %d delivered", got, s.Delivered)
	}
}

// TestKafkaRejectedExitsNonZero points the Kafka example at a broker that refuses every message as too
// large: the run must fail with a one-line reason last on stderr, and its Stats line must count the refused events.
func TestKafkaRejectedExitsNonZero(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.BrokerConfigs(map[string]string{"message.max.bytes": "100"}),
		kfake.SeedTopics(3, kafka.DefaultAssignmentTopic, kafka.DefaultBanditTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	stdout, stderr, err := run(t, "kafka", []string{"KAFKA_BROKERS=" + c.ListenAddrs()[0]}, "-subjects", "50")
	if err == nil {
		t.Fatalf("exit 0 although the broker refused every message\n%s", stdout)
	}
	// The pipeline's warnings come first; the reason is the last line.
	errLines := strings.Split(strings.TrimSpace(stderr), "\n")
	if msg := errLines[len(errLines)-1]; !strings.HasPrefix(msg, "error: ") || !strings.Contains(msg, "not delivered") {
		t.Fatalf("want a last error line saying what was not delivered, got %q", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var s summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line is not the Stats JSON: %v", err)
	}
	if s.Delivered != 0 || s.Dropped["rejected"] == 0 || s.Dropped["rejected"] != s.Accepted {
		t.Fatalf("want every accepted event counted rejected, got %+v", s)
	}
}

func TestMulti(t *testing.T) {
	broker := startBroker(t)
	out := t.TempDir()
	stdout, stderr, err := run(t, "multi", []string{"KAFKA_BROKERS=" + broker}, "-subjects", subjects, "-out", out)
	if err != nil {
		t.Fatalf("multi: %v\n%s", err, stderr)
	}
	s := lastLine(t, stdout)
	if len(s.Sinks) != 2 {
		t.Fatalf("want two sinks in the Stats line, got %+v", s.Sinks)
	}
	delivered := map[string]uint64{}
	for _, sink := range s.Sinks {
		delivered[sink.Name] = sink.Delivered
	}
	rows := csvRows(t, filepath.Join(out, "assignments.csv")) + csvRows(t, filepath.Join(out, "bandit_actions.csv"))
	if uint64(rows) != delivered["csv"] {
		t.Fatalf("CSV holds %d rows, Stats says %d", rows, delivered["csv"])
	}
	if got := consumed(t, broker, delivered["kafka"]); uint64(got) != delivered["kafka"] || got != rows {
		t.Fatalf("broker holds %d events, Stats says %d (CSV %d)", got, delivered["kafka"], rows)
	}
}

// Misconfigured or unreachable sinks: a non-zero exit with a one-line reason, quickly, no stack trace.
func TestExamplesFailClearly(t *testing.T) {
	cases := []struct {
		name string
		env  []string
	}{
		{"segment", nil},
		{"rudderstack", []string{"RUDDERSTACK_WRITE_KEY=k"}},
		{"kafka", nil},
		{"kafka", []string{"KAFKA_BROKERS=127.0.0.1:1"}},
		{"multi", []string{"KAFKA_BROKERS=127.0.0.1:1"}},
		{"segment", []string{"SEGMENT_WRITE_KEY=k", "SEGMENT_ENDPOINT=http://127.0.0.1:1"}},
		{"relay", nil},
	}
	for _, tc := range cases {
		start := time.Now()
		stdout, stderr, err := run(t, tc.name, tc.env, "-subjects", "10")
		if err == nil {
			t.Errorf("%s %v: exit 0, want failure\n%s", tc.name, tc.env, stdout)
			continue
		}
		msg := strings.TrimSpace(stderr)
		if strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "error: ") || strings.Contains(msg, "goroutine") {
			t.Errorf("%s %v: want one error line, got %q", tc.name, tc.env, msg)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("%s %v: took %v to fail", tc.name, tc.env, d)
		}
	}
}
