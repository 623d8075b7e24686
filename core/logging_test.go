package core

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type recordingLogger struct {
	mu          sync.Mutex
	assignments []AssignmentEvent
	bandits     []BanditEvent
}

func (r *recordingLogger) LogAssignment(e AssignmentEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.assignments = append(r.assignments, e)
}

func (r *recordingLogger) LogBanditAction(e BanditEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bandits = append(r.bandits, e)
}

func TestAssignmentEvent(t *testing.T) {
	rec := &recordingLogger{}
	fixed := time.Date(2026, 11, 28, 12, 30, 45, 123456789, time.FixedZone("X", 3600))
	c := loadClient(t, "flags-v1.json", "")
	c.assignLogger = rec
	c.now = func() time.Time { return fixed }

	attrs := Attributes{"country": "Brazil", "age": 40}
	// new-user-onboarding's "rollout" allocation logs and carries extraLogging; subjects in the US reach it.
	var subject string
	for i := 0; i < 200 && subject == ""; i++ {
		s := "u" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		_, d, err := c.GetStringAssignmentDetails("new-user-onboarding", s, Attributes{"country": "US"}, "def")
		if err == nil && d.MatchedAllocation.Key == "rollout" {
			subject = s
		}
	}
	if subject == "" {
		t.Fatal("no subject reaches the rollout allocation")
	}
	rec.assignments = nil
	us := Attributes{"country": "US"}
	if _, err := c.GetStringAssignment("new-user-onboarding", subject, us, "def"); err != nil {
		t.Fatal(err)
	}
	us["country"] = "changed after the call"
	if len(rec.assignments) != 1 {
		t.Fatalf("want one event, got %d", len(rec.assignments))
	}
	e := rec.assignments[0]
	if e.FeatureFlag != "new-user-onboarding" || e.Allocation != "rollout" || e.Experiment != "new-user-onboarding-rollout" ||
		e.Subject != subject || e.Variation != "blue" || e.SubjectAttributes["country"] != "US" ||
		e.ExtraLogging["owner"] != "hippo" || e.MetaData.SDKName != SDKName || e.MetaData.SDKVersion != SDKVersion {
		t.Fatalf("unexpected event %+v", e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"timestamp":"2026-11-28T11:30:45.123Z"`)) {
		t.Fatalf("timestamp must be UTC with milliseconds: %s", b)
	}

	// No event for a doLog:false allocation, a default, an error, or an unknown flag.
	rec.assignments = nil
	c.GetStringAssignment("new-user-onboarding", "zach", attrs, "def") // "id rule": doLog false
	c.GetStringAssignment("new-user-onboarding", "x", Attributes{"country": "Mexico"}, "def")
	c.GetStringAssignment("no-such-flag", "x", attrs, "def")
	c.GetIntegerAssignment("new-user-onboarding", "x", attrs, 0)
	c.GetIntegerAssignment("invalid-value-flag", "alice", Attributes{"country": "Australia"}, 0)
	for _, e := range rec.assignments {
		if e.Subject == "zach" || e.FeatureFlag != "new-user-onboarding" {
			t.Fatalf("unexpected event %+v", e)
		}
	}
}

type panickingLogger struct{}

func (panickingLogger) LogAssignment(AssignmentEvent) { panic("logger exploded") }
func (panickingLogger) LogBanditAction(BanditEvent)   { panic("logger exploded") }

func TestPanickingLoggerIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	cfg, err := NewConfiguration(readFile(t, ufcDir(t)+"/flags-v1.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: panickingLogger{},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i := 0; i < 3; i++ {
		v, err := c.GetIntegerAssignment("integer-flag", "alice", Attributes{"country": "US"}, -1)
		if err != nil || v != 3 {
			t.Fatalf("assignment must survive the logger: %d, %v", v, err)
		}
	}
	if c.LoggerPanics() != 3 {
		t.Fatalf("LoggerPanics = %d, want 3", c.LoggerPanics())
	}
	if !strings.Contains(logs.String(), "logger exploded") {
		t.Fatalf("panic not reported: %q", logs.String())
	}
}

// The implicit "id" attribute helps targeting but is never logged.
func TestImplicitIDNotLogged(t *testing.T) {
	rec := &recordingLogger{}
	c := loadEdgeClient(t)
	c.assignLogger = rec
	if v, _ := c.GetStringAssignment("id-matches", "subject-1", nil, "def"); v != "yes" {
		t.Fatalf("got %q", v)
	}
	if len(rec.assignments) != 1 || rec.assignments[0].SubjectAttributes != nil {
		t.Fatalf("events: %+v", rec.assignments)
	}
}

// filteringLogger suppresses everything it has already seen, through the cheap gate.
type filteringLogger struct {
	recordingLogger
	seen map[string]bool
	asks int
}

func (f *filteringLogger) SuppressAssignment(flag, subject, allocation, variation string) bool {
	f.asks++
	return f.seen[flag+"|"+subject+"|"+allocation+"|"+variation]
}

func (f *filteringLogger) LogAssignment(e AssignmentEvent) {
	f.seen[e.FeatureFlag+"|"+e.Subject+"|"+e.Allocation+"|"+e.Variation] = true
	f.recordingLogger.LogAssignment(e)
}

// A logger that can tell a duplicate in advance is asked first, and then gets no event.
func TestAssignmentFilterSkipsEventBuilding(t *testing.T) {
	f := &filteringLogger{seen: map[string]bool{}}
	cfg, err := NewConfiguration(readFile(t, ufcDir(t)+"/flags-v1.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: f})
	for i := 0; i < 5; i++ {
		if v, err := c.GetIntegerAssignment("integer-flag", "alice", Attributes{"country": "US"}, -1); v != 3 || err != nil {
			t.Fatalf("got %d, %v", v, err)
		}
	}
	if f.asks != 5 || len(f.assignments) != 1 {
		t.Fatalf("filter asked %d times, %d events logged; want 5 and 1", f.asks, len(f.assignments))
	}
}
