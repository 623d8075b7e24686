package csv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"syscall"

	"github.com/eppokit/eppokit/adapters/internal/eventcodec"
	"github.com/eppokit/eppokit/batching"
)

// Sink appends exposure events to CSV files. It implements [batching.Sink] and [batching.Flusher]; see the
// package documentation for the file format and the error contract.
type Sink struct {
	mu          sync.Mutex
	closed      bool
	assignments *table
	bandits     *table
	rec         eventcodec.Record
	cells       []string
}

var (
	_ batching.Sink    = (*Sink)(nil)
	_ batching.Flusher = (*Sink)(nil)
)

// NewSink opens (creating them and their directory if needed) the assignment and bandit files of cfg and
// returns a sink that appends to them. It fails with a clear error when a path cannot be written, when
// the disk is full, when an existing file's header does not match ([ErrHeaderMismatch]), or when cfg
// cannot be used ([ErrInvalidConfig]).
func NewSink(cfg Config) (*Sink, error) {
	aPath, bPath, err := cfg.paths()
	if err != nil {
		return nil, err
	}
	s := &Sink{}
	if cfg.FormulaGuard {
		s.rec.Text = guardFormula
	}
	naming := cfg.naming()
	idColumn := eventcodec.EventIDColumn(naming)
	s.assignments, err = openTable(aPath, append(eventcodec.AssignmentColumns(naming), idColumn), cfg.wrap)
	if err != nil {
		return nil, err
	}
	s.bandits, err = openTable(bPath, append(eventcodec.BanditColumns(naming), idColumn), cfg.wrap)
	if err != nil {
		_ = s.assignments.f.Close()
		return nil, err
	}
	return s, nil
}

// Paths returns the paths of the assignment and bandit files.
func (s *Sink) Paths() (assignments, bandits string) {
	return s.assignments.path, s.bandits.path
}

// Export appends the batch's events to their files, one write per file. It returns nil when every row
// reached the operating system, a [*batching.PartialError] when only some did (an unencodable event, or a
// failure of one of the two files), and the classified write error when none did.
func (s *Sink) Export(ctx context.Context, b batching.Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return batching.Permanent(fmt.Errorf("csv: export after Close: %w", ErrClosed))
	}

	var failed map[int]error
	fail := func(i int, err error) {
		if failed == nil {
			failed = make(map[int]error)
		}
		failed[i] = err
	}
	nAssign, nBandit := 0, 0
	for i := range b.Events {
		t, err := s.encode(&b.Events[i])
		if err != nil {
			fail(i, batching.Permanent(fmt.Errorf("csv: event %s: %w", b.Events[i].ID, err)))
			continue
		}
		if t == s.assignments {
			nAssign++
		} else {
			nBandit++
		}
	}

	assignErr := s.write(s.assignments, nAssign)
	banditErr := s.write(s.bandits, nBandit)
	if failed == nil {
		// No event failed alone: report a write failure plainly when it covers the whole batch.
		switch {
		case assignErr == nil && banditErr == nil:
			return nil
		case banditErr == nil && nBandit == 0:
			return assignErr
		case assignErr == nil && nAssign == 0:
			return banditErr
		}
	}
	for i := range b.Events {
		if _, ok := failed[i]; ok {
			continue
		}
		switch {
		case assignErr != nil && b.Events[i].Kind == batching.KindAssignment:
			fail(i, assignErr)
		case banditErr != nil && b.Events[i].Kind == batching.KindBandit:
			fail(i, banditErr)
		}
	}
	return &batching.PartialError{Failed: failed}
}

// encode adds e's row to its table's buffer and returns that table.
func (s *Sink) encode(e *batching.Event) (*table, error) {
	var t *table
	var err error
	switch {
	case e.Kind == batching.KindAssignment && e.Assignment != nil:
		t = s.assignments
		s.cells, err = s.rec.Assignment(s.cells[:0], e.Assignment)
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		t = s.bandits
		s.cells, err = s.rec.Bandit(s.cells[:0], e.Bandit)
	default:
		return nil, fmt.Errorf("kind %v without its event", e.Kind)
	}
	if err != nil {
		return nil, err
	}
	s.cells = append(s.cells, e.ID)
	if err := t.w.Write(s.cells); err != nil {
		return nil, err
	}
	return t, nil
}

// write appends the rows buffered in t and classifies a failure.
func (s *Sink) write(t *table, rows int) error {
	if rows == 0 {
		return nil
	}
	if err := t.append(); err != nil {
		return classify(fmt.Errorf("csv: appending %d row(s) to %s: %w", rows, t.path, err))
	}
	return nil
}

// classify marks errors that retrying cannot fix as permanent. A full disk stays transient: space may be
// freed within the retry budget.
func classify(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return err
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EBADF),
		errors.Is(err, fs.ErrClosed), errors.Is(err, syscall.EFBIG):
		return batching.Permanent(err)
	}
	return err
}

// Flush fsyncs both files, so that every row Export reported written survives a crash of the machine.
// It is a no-op after Close.
func (s *Sink) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return errors.Join(s.assignments.sync(), s.bandits.sync())
}

// Close fsyncs and closes both files. Later Exports fail with [ErrClosed]; a second Close returns nil.
// Closing a local file does not wait on anything a context could bound, so ctx is not consulted.
func (s *Sink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := errors.Join(s.assignments.close(), s.bandits.close())
	if err != nil {
		return fmt.Errorf("csv: close: %w", err)
	}
	return nil
}
