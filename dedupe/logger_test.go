package dedupe

import (
	"testing"

	"github.com/eppokit/eppokit/core"
)

type countingLogger struct{ n int }

func (c *countingLogger) LogAssignment(core.AssignmentEvent) { c.n++ }

// refusingLogger refuses the first event offered, like a full queue.
type refusingLogger struct{ offers, accepted int }

func (r *refusingLogger) LogAssignment(e core.AssignmentEvent) { r.TryLogAssignment(e) }
func (r *refusingLogger) TryLogAssignment(core.AssignmentEvent) bool {
	r.offers++
	if r.offers == 1 {
		return false
	}
	r.accepted++
	return true
}

type panickingBandits struct{ calls int }

func (p *panickingBandits) LogBanditAction(core.BanditEvent) {
	p.calls++
	if p.calls == 1 {
		panic("logger bug")
	}
}

func TestAssignmentLoggerABA(t *testing.T) {
	next := &countingLogger{}
	l := AssignmentLogger(next, Options{})
	for _, v := range []string{"A", "A", "B", "A"} {
		l.LogAssignment(core.AssignmentEvent{FeatureFlag: "f", Subject: "s", Allocation: "x", Variation: v})
	}
	if next.n != 3 {
		t.Fatalf("A,A,B,A logged %d times, want 3", next.n)
	}
}

func TestAssignmentLoggerRefusalLeavesKeyUnmarked(t *testing.T) {
	next := &refusingLogger{}
	l := AssignmentLogger(next, Options{})
	e := core.AssignmentEvent{FeatureFlag: "f", Subject: "s", Allocation: "x", Variation: "A"}
	if l.TryLogAssignment(e) {
		t.Fatal("refused event reported as accepted")
	}
	if !l.TryLogAssignment(e) || !l.TryLogAssignment(e) || next.accepted != 1 || next.offers != 2 {
		t.Fatalf("want one retry accepted then a suppressed duplicate; offers %d accepted %d", next.offers, next.accepted)
	}
}

func TestBanditLoggerRecoversPanic(t *testing.T) {
	next := &panickingBandits{}
	l := BanditLogger(next, Options{})
	e := core.BanditEvent{FlagKey: "f", Subject: "s", BanditKey: "b", Action: "a"}
	l.LogBanditAction(e) // panics inside: recovered, key left unmarked
	l.LogBanditAction(e) // logged
	l.LogBanditAction(e) // duplicate
	st := l.Stats()
	if next.calls != 2 || st.Panics != 1 || st.Hits != 1 || st.Refused != 1 {
		t.Fatalf("calls %d, stats %+v", next.calls, st)
	}
}

// TestAssignmentLoggerForgetAfterLaterLoss: the wrapper cannot see a loss after next accepted the event;
// forgetting through its cache (as a drop hook would) makes the same exposure go to next again.
func TestAssignmentLoggerForgetAfterLaterLoss(t *testing.T) {
	next := &countingLogger{}
	l := AssignmentLogger(next, Options{})
	e := core.AssignmentEvent{FeatureFlag: "f", Subject: "s", Allocation: "x", Variation: "A"}
	l.LogAssignment(e)
	l.LogAssignment(e)
	if next.n != 1 {
		t.Fatalf("next saw %d events, want 1", next.n)
	}
	if !l.Cache().ForgetAssignment(&e) {
		t.Fatal("ForgetAssignment removed nothing")
	}
	l.LogAssignment(e)
	if next.n != 2 || l.Stats().Forgotten != 1 {
		t.Fatalf("after Forget next saw %d events (want 2), stats %+v", next.n, l.Stats())
	}
}
