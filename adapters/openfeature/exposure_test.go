package openfeature

import (
	"context"
	stdcsv "encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/telemetry"
)

// readRows reads the assignment file as header-keyed rows.
func readRows(t *testing.T, dir string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, csv.DefaultAssignmentFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := stdcsv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 {
		t.Fatal("assignment file has no header")
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestOneEvaluationOneExposure: an evaluation through OpenFeature is one CSV row matching Variant and the
// allocation; a repeat is deduplicated; a doLog=false allocation logs nothing.
func TestOneEvaluationOneExposure(t *testing.T) {
	dir := t.TempDir()
	proc := newCSVLogger(t, dir, batching.WithDedupe(dedupe.Options{}))
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, readUFC(t, "flags-v1.json")),
		AssignmentLogger: proc})
	api, ofc := startAPI(t, NewProvider(client, WithOwnedClient(proc)))
	ctx := context.Background()

	// Subject "3" lands in the "experiment" allocation, which logs.
	subject := of.NewEvaluationContext("3", map[string]any{"country": "UK", "age": 33})
	d, err := ofc.StringValueDetails(ctx, "new-user-onboarding", "default", subject)
	if err != nil || d.Variant == "" {
		t.Fatalf("evaluation: %+v, %v", d, err)
	}
	if _, err := ofc.StringValueDetails(ctx, "new-user-onboarding", "default", subject); err != nil {
		t.Fatal(err)
	}
	// zach matches the "id rule" allocation, configured with doLog=false.
	zach := of.NewEvaluationContext("zach", map[string]any{"email": "test@test.com", "country": "Mexico", "age": 25})
	quiet, err := ofc.StringValueDetails(ctx, "new-user-onboarding", "default", zach)
	if err != nil || quiet.Value != "purple" {
		t.Fatalf("zach: %+v, %v; want purple", quiet, err)
	}
	if doLog, err := quiet.FlagMetadata.GetBool(metaDoLog); err != nil || doLog {
		t.Errorf("zach's metadata doLog = %v (%v), want false", doLog, err)
	}

	shutdownAPI(t, api) // owned client: closes the pipeline, which writes and closes the file
	s := proc.Stats()
	if s.Accepted != 1 || s.Deduplicated != 1 || s.Delivered != 1 || s.DroppedTotal() != 0 {
		t.Errorf("pipeline stats %+v; want 1 accepted, 1 deduplicated, 1 delivered, none dropped", s)
	}
	rows := readRows(t, dir)
	if len(rows) != 1 {
		t.Fatalf("%d exposure rows, want 1: %v", len(rows), rows)
	}
	alloc, _ := d.FlagMetadata.GetString(metaAllocationKey)
	if r := rows[0]; r["featureFlag"] != "new-user-onboarding" || r["subject"] != "3" ||
		r["variation"] != d.Variant || r["allocation"] != alloc || alloc == "" {
		t.Errorf("row %v; want flag new-user-onboarding, subject 3, variation %q, allocation %q", r, d.Variant, alloc)
	}
}

// TestTelemetryAttributes: go-sdk's telemetry helper finds version and flag set id in the metadata.
func TestTelemetryAttributes(t *testing.T) {
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, readUFC(t, "flags-v1.json"))})
	events := make(chan telemetry.EvaluationEvent, 1)
	_, ofc := startAPI(t, NewProvider(client))
	ofc.AddHooks(finallyHook{f: func(hc of.HookContext, d of.InterfaceEvaluationDetails) {
		events <- telemetry.CreateEvaluationEvent(hc, d)
	}})
	if _, err := ofc.IntValue(context.Background(), "integer-flag", 0, of.NewEvaluationContext("alice", map[string]any{"email": "alice@mycompany.com", "country": "US"})); err != nil {
		t.Fatal(err)
	}
	attrs := waitFor(t, events, "the Finally hook").Attributes
	if attrs[telemetry.FlagSetIDKey] != "Test" || attrs[telemetry.VersionKey] == nil || attrs[telemetry.VersionKey] == "" ||
		attrs[telemetry.ResultVariantKey] != "three" || attrs[telemetry.ResultReasonKey] != "targeting_match" {
		t.Errorf("telemetry attributes %v; want set id Test, a version, variant three, reason targeting_match", attrs)
	}
}

// finallyHook runs f in the Finally stage.
type finallyHook struct {
	of.UnimplementedHook
	f func(of.HookContext, of.InterfaceEvaluationDetails)
}

func (h finallyHook) Finally(_ context.Context, hc of.HookContext, d of.InterfaceEvaluationDetails, _ of.HookHints) {
	h.f(hc, d)
}
