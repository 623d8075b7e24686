package eppotest

import (
	"slices"
	"sync"

	"github.com/eppokit/eppokit/core"
)

// Recorder is a core.AssignmentLogger and core.BanditLogger that keeps every event, so a test can
// assert on what its code logs. It is safe for concurrent use; the zero value is ready. Pass it to
// [NewClient] with [WithRecorder], or set it as a core.Config logger yourself.
type Recorder struct {
	mu          sync.Mutex
	assignments []core.AssignmentEvent
	bandits     []core.BanditEvent
}

// LogAssignment records e.
func (r *Recorder) LogAssignment(e core.AssignmentEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.assignments = append(r.assignments, e)
}

// LogBanditAction records e.
func (r *Recorder) LogBanditAction(e core.BanditEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bandits = append(r.bandits, e)
}

// Assignments returns the assignment events recorded so far, oldest first.
func (r *Recorder) Assignments() []core.AssignmentEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.assignments)
}

// BanditActions returns the bandit events recorded so far, oldest first.
func (r *Recorder) BanditActions() []core.BanditEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bandits)
}

// Reset forgets every event recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.assignments, r.bandits = nil, nil
}
