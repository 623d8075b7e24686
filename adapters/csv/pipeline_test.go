package csv_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
)

// TestPipelineAccounting logs through the pipeline, with one event the sink cannot encode, and checks that
// the files hold exactly what Stats says was delivered and that the rest is a counted drop.
func TestPipelineAccounting(t *testing.T) {
	dir := t.TempDir()
	drops := &adapterstest.DropRecorder{}
	p, err := csv.NewLogger(csv.Config{Dir: dir, WarehouseNaming: true},
		batching.WithBatchSize(100), batching.WithLinger(5*time.Millisecond), batching.WithDropHook(drops.Hook), quietLogs())
	if err != nil {
		t.Fatal(err)
	}
	logged := adapterstest.Events("pipe", 3000, 21)
	for i := range logged {
		if logged[i].Kind == batching.KindBandit {
			b := *logged[i].Bandit
			b.OptimalityGap = math.Inf(1)
			logged[i].Bandit = &b
			break
		}
	}
	adapterstest.Log(p, logged[:1500])
	if err := p.Flush(ctxT(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	adapterstest.Log(p, logged[1500:])
	err = p.Close(ctxT(t))
	st := p.Stats()
	adapterstest.CheckCloseError(t, err, st)
	if st.Dropped[batching.ReasonRejected] != 1 || st.DroppedTotal() != 1 {
		t.Fatalf("dropped = %v, want exactly the unencodable event as rejected", st.Dropped)
	}
	got, err := filePeer{assignments: dir + "/" + csv.DefaultAssignmentFile, bandits: dir + "/" + csv.DefaultBanditFile,
		guarded: false}.Received(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dup := adapterstest.CheckAccounting(t, st, logged, got, drops); dup != 0 {
		t.Errorf("%d duplicate rows without any retry", dup)
	}
}

// TestPipelineCreatesItsDirectory is the README Quickstart's case: NewLogger on a directory that does not
// exist yet creates it (with its parents) and delivers into it.
func TestPipelineCreatesItsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh", "exposures")
	p, err := csv.NewLogger(csv.Config{Dir: dir}, quietLogs())
	if err != nil {
		t.Fatalf("NewLogger on a missing directory: %v", err)
	}
	logged := adapterstest.Events("fresh", 20, 3)
	adapterstest.Log(p, logged)
	if err := p.Close(ctxT(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, err := filePeer{assignments: filepath.Join(dir, csv.DefaultAssignmentFile),
		bandits: filepath.Join(dir, csv.DefaultBanditFile)}.Received(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Delivered != uint64(len(logged)) || len(got) != len(logged) {
		t.Fatalf("delivered %d, files hold %d, logged %d", st.Delivered, len(got), len(logged))
	}
}

// TestPipelineUnwritableDir shows the constructor's error: a pipeline is never started on a path that
// cannot be written, here a directory below a regular file.
func TestPipelineUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := csv.NewLogger(csv.Config{Dir: filepath.Join(file, "exposures")})
	if err == nil || p != nil {
		t.Fatalf("NewLogger below a regular file = %v, %v; want an error", p, err)
	}
	if !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("err = %v, want it to wrap ENOTDIR", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	_, err := csv.NewSink(csv.Config{Dir: dir, AssignmentFile: "events.csv", BanditFile: "events.csv"})
	if !errors.Is(err, csv.ErrInvalidConfig) || !strings.Contains(err.Error(), "BanditFile") {
		t.Fatalf("two kinds in one file: err = %v, want ErrInvalidConfig naming the fields", err)
	}
}

func TestExportAfterCloseIsErrClosed(t *testing.T) {
	s := newSink(t, csv.Config{Dir: t.TempDir()})
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	err := s.Export(ctxT(t), batching.Batch{ID: "late", Attempt: 1, Events: adapterstest.Events("late", 1, 1)})
	if !errors.Is(err, csv.ErrClosed) || !errors.Is(err, batching.ErrClosed) || !batching.IsPermanent(err) {
		t.Fatalf("Export after Close = %v, want a permanent error wrapping csv.ErrClosed (= batching.ErrClosed)", err)
	}
}

// quietLogs keeps the pipeline's warnings out of the test output; the tests check Stats instead.
func quietLogs() batching.Option { return batching.WithLogger(slog.New(slog.DiscardHandler)) }
