package csv_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"math"
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
	p, err := csv.NewLogger(dir, []csv.Option{csv.WithWarehouseNaming()},
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
	if err := p.Close(ctxT(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := p.Stats()
	if st.Dropped[batching.ReasonRejected] != 1 || st.DroppedTotal() != 1 {
		t.Fatalf("dropped = %v, want exactly the unencodable event as rejected", st.Dropped)
	}
	got, err := filePeer{assignments: dir + "/" + csv.DefaultAssignmentFile, bandits: dir + "/" + csv.DefaultBanditFile,
		guarded: true}.Received(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dup := adapterstest.CheckAccounting(t, st, logged, got, drops); dup != 0 {
		t.Errorf("%d duplicate rows without any retry", dup)
	}
}

// TestPipelineUnwritableDir shows the constructor's error: a pipeline is never started on a path that
// cannot be written.
func TestPipelineUnwritableDir(t *testing.T) {
	p, err := csv.NewLogger(t.TempDir()+"/missing", nil)
	if err == nil || p != nil {
		t.Fatalf("NewLogger on a missing directory = %v, %v; want an error", p, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want it to wrap fs.ErrNotExist", err)
	}
}

// quietLogs keeps the pipeline's warnings out of the test output; the tests check Stats instead.
func quietLogs() batching.Option { return batching.WithLogger(slog.New(slog.DiscardHandler)) }
