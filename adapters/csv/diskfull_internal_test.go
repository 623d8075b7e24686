package csv

import (
	"context"
	stdcsv "encoding/csv"
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/batching"
)

// quotaFile is a real file that runs out of space after a byte budget, as a full disk does: the write that
// crosses the budget lands partially and reports ENOSPC.
type quotaFile struct {
	*os.File
	mu     sync.Mutex
	budget int
}

func (q *quotaFile) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(p) <= q.budget {
		q.budget -= len(p)
		return q.File.Write(p)
	}
	n, err := q.File.Write(p[:q.budget])
	q.budget = 0
	if err == nil {
		err = &fs.PathError{Op: "write", Path: q.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (q *quotaFile) setBudget(n int) {
	q.mu.Lock()
	q.budget = n
	q.mu.Unlock()
}

func withQuota(files map[string]*quotaFile, budget int) Option {
	return optionFunc(func(c *config) {
		c.wrap = func(f *os.File) file {
			q := &quotaFile{File: f, budget: budget}
			files[f.Name()] = q
			return q
		}
	})
}

func countRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := stdcsv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s is no longer valid CSV after a failed write: %v", path, err)
	}
	return len(rows) - 1
}

// TestDiskFullMidStream fills the disk in the middle of a batch: the error is ENOSPC, transient (space may
// come back), the file keeps no partial row, and once space is back the retried batch lands exactly once.
func TestDiskFullMidStream(t *testing.T) {
	files := map[string]*quotaFile{}
	s, err := NewSink(t.TempDir(), withQuota(files, 6000))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	aPath, _ := s.Paths()
	ctx := context.Background()

	var assignments []batching.Event
	for _, e := range adapterstest.Events("full", 200, 11) {
		if e.Kind == batching.KindAssignment {
			assignments = append(assignments, e)
		}
	}
	first, second := assignments[:10], assignments[10:]
	if err := s.Export(ctx, batching.Batch{ID: "1", Attempt: 1, Events: first}); err != nil {
		t.Fatalf("first batch fits the budget: %v", err)
	}

	err = s.Export(ctx, batching.Batch{ID: "2", Attempt: 1, Events: second})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if batching.IsPermanent(err) {
		t.Fatalf("a full disk must be retried, got a permanent error: %v", err)
	}
	if got := countRows(t, aPath); got != len(first) {
		t.Fatalf("file holds %d rows after the failed batch, want the %d of the first batch", got, len(first))
	}

	files[aPath].setBudget(1 << 30)
	if err := s.Export(ctx, batching.Batch{ID: "2", Attempt: 2, Events: second}); err != nil {
		t.Fatalf("retry after space came back: %v", err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, aPath); got != len(assignments) {
		t.Fatalf("file holds %d rows, want %d (each once)", got, len(assignments))
	}
}

// TestFullDiskOnOneFileIsPartial shows that when only the bandit file's disk is full, the assignments of
// the same batch are reported delivered and only the bandit events fail.
func TestFullDiskOnOneFileIsPartial(t *testing.T) {
	files := map[string]*quotaFile{}
	s, err := NewSink(t.TempDir(), withQuota(files, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	_, bPath := s.Paths()
	files[bPath].setBudget(10)

	evs := adapterstest.Events("mixed", 60, 4)
	err = s.Export(context.Background(), batching.Batch{ID: "m", Attempt: 1, Events: evs})
	var pe *batching.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *batching.PartialError", err)
	}
	for i, e := range evs {
		_, failed := pe.Failed[i]
		if failed != (e.Kind == batching.KindBandit) {
			t.Fatalf("event %d (%v): failed=%v; only bandit events should fail", i, e.Kind, failed)
		}
		if failed && !errors.Is(pe.Failed[i], syscall.ENOSPC) {
			t.Fatalf("event %d error = %v, want ENOSPC", i, pe.Failed[i])
		}
	}
	if got := countRows(t, bPath); got != 0 {
		t.Fatalf("bandit file holds %d rows, want none", got)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err       error
		permanent bool
	}{
		{syscall.ENOSPC, false},
		{syscall.EDQUOT, false},
		{syscall.EIO, false},
		{syscall.EACCES, true},
		{syscall.EROFS, true},
		{os.ErrClosed, true},
	} {
		if got := batching.IsPermanent(classify(&fs.PathError{Op: "write", Path: "x", Err: tc.err})); got != tc.permanent {
			t.Errorf("classify(%v): permanent = %v, want %v", tc.err, got, tc.permanent)
		}
	}
}
