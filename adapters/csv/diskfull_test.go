package csv_test

import (
	"context"
	stdcsv "encoding/csv"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
)

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
	files := map[string]*csv.QuotaFile{}
	s, err := csv.NewSink(t.TempDir(), csv.WithQuota(files, 6000))
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

	files[aPath].SetBudget(1 << 30)
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
	files := map[string]*csv.QuotaFile{}
	s, err := csv.NewSink(t.TempDir(), csv.WithQuota(files, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	_, bPath := s.Paths()
	files[bPath].SetBudget(10)

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

// TestPipelineDiskFullIsCounted fills the disk while the pipeline is writing, with a short retry budget:
// events that could not be written are dropped as retries_exhausted and counted, the file holds exactly
// the delivered ones, and delivery resumes once space is back.
func TestPipelineDiskFullIsCounted(t *testing.T) {
	files := map[string]*csv.QuotaFile{}
	dir := t.TempDir()
	sink, err := csv.NewSink(dir, csv.WithQuota(files, 40_000))
	if err != nil {
		t.Fatal(err)
	}
	drops := &adapterstest.DropRecorder{}
	p := batching.New(sink, batching.WithName("csv"), batching.WithBatchSize(50),
		batching.WithLinger(2*time.Millisecond), batching.WithRetryInterval(5*time.Millisecond, 20*time.Millisecond),
		batching.WithMaxElapsedTime(150*time.Millisecond), batching.WithDropHook(drops.Hook), quietLogs())
	logged := adapterstest.Events("df", 1000, 13)

	adapterstest.Log(p, logged[:500])
	if err := p.Flush(ctxT(t)); err != nil {
		t.Fatalf("Flush while the disk is full: %v", err)
	}
	st := p.Stats()
	if st.Dropped[batching.ReasonRetriesExhausted] == 0 || st.Delivered == 0 {
		t.Fatalf("with 40 kB of space for 500 events: delivered %d, dropped %v; want both", st.Delivered, st.Dropped)
	}
	if !strings.Contains(st.LastError, "no space left") {
		t.Errorf("Stats.LastError = %q, want the disk-full cause", st.LastError)
	}

	aPath, bPath := sink.Paths()
	files[aPath].SetBudget(1 << 30)
	files[bPath].SetBudget(1 << 30)
	adapterstest.Log(p, logged[500:])
	if err := p.Close(ctxT(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st = p.Stats()
	if st.Delivered < 500 {
		t.Errorf("only %d delivered after space came back", st.Delivered)
	}
	got, err := filePeer{assignments: aPath, bandits: bPath, guarded: true}.Received(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	adapterstest.CheckAccounting(t, st, logged, got, drops)
}
