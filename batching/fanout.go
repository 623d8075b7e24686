package batching

import (
	"context"
	"errors"
	"sync"

	"github.com/eppokit/eppokit/core"
)

// Fanout sends every event to several processors, each with its own queue, goroutines, dedupe and counters:
// one dead sink fills only its own queue and never slows the others. Create it with [NewFanout].
type Fanout struct {
	procs []*Processor
}

var (
	_ core.AssignmentLogger = (*Fanout)(nil)
	_ core.BanditLogger     = (*Fanout)(nil)
	_ core.AssignmentFilter = (*Fanout)(nil)
	_ core.BanditFilter     = (*Fanout)(nil)
)

// NewFanout returns a Fanout over procs; nil entries are ignored.
func NewFanout(procs ...*Processor) *Fanout {
	f := &Fanout{procs: make([]*Processor, 0, len(procs))}
	for _, p := range procs {
		if p != nil {
			f.procs = append(f.procs, p)
		}
	}
	return f
}

// LogAssignment offers e to every processor; none of them waits on another.
func (f *Fanout) LogAssignment(e core.AssignmentEvent) {
	for _, p := range f.procs {
		p.LogAssignment(e)
	}
}

// LogBanditAction offers e to every processor.
func (f *Fanout) LogBanditAction(e core.BanditEvent) {
	for _, p := range f.procs {
		p.LogBanditAction(e)
	}
}

// SuppressAssignment implements core.AssignmentFilter: true when every processor would suppress the
// exposure as a duplicate, so the client builds no event. It asks the processors in order and stops at the
// first that would log it; the ones asked before it counted a duplicate, and count it again when the event
// arrives (a processor whose cache forgot the exposure after a drop disagrees with the others this way).
func (f *Fanout) SuppressAssignment(flag, subject, allocation, variation string) bool {
	for _, p := range f.procs {
		if !p.SuppressAssignment(flag, subject, allocation, variation) {
			return false
		}
	}
	return len(f.procs) > 0
}

// SuppressBanditAction implements core.BanditFilter like [Fanout.SuppressAssignment].
func (f *Fanout) SuppressBanditAction(flag, subject, bandit, action string) bool {
	for _, p := range f.procs {
		if !p.SuppressBanditAction(flag, subject, bandit, action) {
			return false
		}
	}
	return len(f.procs) > 0
}

// Flush flushes every processor concurrently under the same ctx and joins their errors.
func (f *Fanout) Flush(ctx context.Context) error {
	return f.each(func(p *Processor) error { return p.Flush(ctx) })
}

// Close closes every processor concurrently, so they share ctx's deadline instead of adding up, and joins
// their errors.
func (f *Fanout) Close(ctx context.Context) error {
	return f.each(func(p *Processor) error { return p.Close(ctx) })
}

// Stats returns one snapshot per processor, in order.
func (f *Fanout) Stats() []Stats {
	out := make([]Stats, len(f.procs))
	for i, p := range f.procs {
		out[i] = p.Stats()
	}
	return out
}

func (f *Fanout) each(op func(*Processor) error) error {
	errs := make([]error, len(f.procs))
	var wg sync.WaitGroup
	for i, p := range f.procs {
		wg.Go(func() { errs[i] = op(p) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
