package openfeature

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
	"go.uber.org/goleak"
)

// TestOwnedShutdownDrainsPipeline: with WithOwnedClient, shutting the OpenFeature API down closes the
// client and drains the pipeline: every accepted exposure is delivered or counted as dropped, the file
// holds the delivered ones, and no goroutine is left.
func TestOwnedShutdownDrainsPipeline(t *testing.T) {
	dir := t.TempDir()
	// A small queue, so a burst may overflow it: drops must be counted, not lost.
	proc := newCSVLogger(t, dir, batching.WithQueueSize(64), batching.WithBatchSize(16),
		batching.WithLogger(slog.New(slog.DiscardHandler)))
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, readUFC(t, "flags-v1.json")),
		AssignmentLogger: proc})
	api := isolatedAPI(t)
	ctx := context.Background()
	if err := api.SetProviderAndWait(ctx, NewProvider(client, WithOwnedClient(proc))); err != nil {
		t.Fatal(err)
	}
	ofc := api.NewClient()
	const n = 500
	for i := range n { // no attributes: every subject falls in integer-flag's "50/50 split", which logs
		d, err := ofc.IntValueDetails(ctx, "integer-flag", 0, of.NewEvaluationContext(fmt.Sprintf("user-%d", i), nil))
		if err != nil || d.Reason != of.SplitReason {
			t.Fatalf("user-%d: %+v, %v; want a SPLIT", i, d, err)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	shutdownErr := api.Shutdown(sctx)

	s := proc.Stats()
	t.Logf("accepted %d, delivered %d, dropped %v", s.Accepted, s.Delivered, s.Dropped)
	// The shutdown reports the pipeline's losses: nil only when everything was delivered.
	var ue *batching.UndeliveredError
	switch {
	case s.DroppedTotal() == 0 && shutdownErr != nil:
		t.Errorf("api.Shutdown: %v, although every exposure was delivered", shutdownErr)
	case s.DroppedTotal() > 0 && (!errors.As(shutdownErr, &ue) || ue.Count != s.DroppedTotal()):
		t.Errorf("api.Shutdown = %v; want the pipeline's UndeliveredError counting %d drops", shutdownErr, s.DroppedTotal())
	}
	if s.Accepted != n || s.Pending != 0 || s.Delivered+s.DroppedTotal() != s.Accepted {
		t.Errorf("after shutdown: %+v; want %d accepted, none pending, delivered + dropped = accepted", s, n)
	}
	if rows := readRows(t, dir); uint64(len(rows)) != s.Delivered {
		t.Errorf("%d rows in the file, %d delivered", len(rows), s.Delivered)
	}
	if err := proc.Flush(ctx); err == nil {
		t.Error("the pipeline still accepts a Flush after an owned shutdown; want it closed")
	}
	goleak.VerifyNone(t)
}

// TestDefaultShutdownLeavesClientOpen: without WithOwnedClient the client and its pipeline outlive the
// provider.
func TestDefaultShutdownLeavesClientOpen(t *testing.T) {
	dir := t.TempDir()
	proc := newCSVLogger(t, dir)
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, readUFC(t, "flags-v1.json")),
		AssignmentLogger: proc})
	api := isolatedAPI(t)
	ctx := context.Background()
	if err := api.SetProviderAndWait(ctx, NewProvider(client)); err != nil {
		t.Fatal(err)
	}
	shutdownAPI(t, api)

	if v, err := client.GetIntegerAssignment("integer-flag", "user-1", nil, 0); err != nil || v == 0 {
		t.Errorf("client after the provider's shutdown: %d, %v", v, err)
	}
	if err := proc.Flush(ctx); err != nil {
		t.Errorf("pipeline after the provider's shutdown: Flush = %v, want it still open", err)
	}
	if err := proc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if rows := readRows(t, dir); len(rows) != 1 {
		t.Errorf("%d rows, want the 1 exposure logged after the provider's shutdown", len(rows))
	}
}
