package csv_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newSink(t *testing.T, cfg csv.Config) *csv.Sink {
	t.Helper()
	s, err := csv.NewSink(cfg)
	if err != nil {
		t.Fatalf("NewSink: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func peerOf(s *csv.Sink, guarded bool) filePeer {
	a, b := s.Paths()
	return filePeer{assignments: a, bandits: b, guarded: guarded}
}

func export(t *testing.T, s *csv.Sink, events []batching.Event) {
	t.Helper()
	if err := s.Export(ctxT(t), batching.Batch{ID: "b", Attempt: 1, Events: events}); err != nil {
		t.Fatalf("Export: %v", err)
	}
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  csv.Config
	}{
		{"camelCase", csv.Config{}},
		{"warehouse", csv.Config{WarehouseNaming: true}},
		{"formulaGuard", csv.Config{FormulaGuard: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adapterstest.RunSinkTests(t, func(t *testing.T) (batching.Sink, adapterstest.Peer) {
				cfg := tc.cfg
				cfg.Dir = t.TempDir()
				s := newSink(t, cfg)
				return s, peerOf(s, cfg.FormulaGuard)
			})
		})
	}
}

func TestHeaders(t *testing.T) {
	s := newSink(t, csv.Config{Dir: t.TempDir(), WarehouseNaming: true})
	a, b := s.Paths()
	ah, _, err := readRows(a)
	if err != nil {
		t.Fatal(err)
	}
	wantA := []string{"feature_flag", "allocation", "experiment", "variation", "subject", "subject_attributes",
		"timestamp", "metadata", "extra_logging", "event_id"}
	if !slices.Equal(ah, wantA) {
		t.Errorf("assignment header = %q, want %q", ah, wantA)
	}
	bh, _, err := readRows(b)
	if err != nil {
		t.Fatal(err)
	}
	wantB := []string{"timestamp", "flag_key", "bandit_key", "subject", "action", "action_probability",
		"optimality_gap", "model_version", "subject_numeric_attributes", "subject_categorical_attributes",
		"action_numeric_attributes", "action_categorical_attributes", "metadata", "event_id"}
	if !slices.Equal(bh, wantB) {
		t.Errorf("bandit header = %q, want %q", bh, wantB)
	}

	c := newSink(t, csv.Config{Dir: t.TempDir()})
	a, _ = c.Paths()
	ah, _, _ = readRows(a)
	wantCamel := []string{"featureFlag", "allocation", "experiment", "variation", "subject", "subjectAttributes",
		"timestamp", "metaData", "extraLogging", "eventId"}
	if !slices.Equal(ah, wantCamel) {
		t.Errorf("camelCase assignment header = %q, want %q", ah, wantCamel)
	}
}

func TestAppendingKeepsOneHeader(t *testing.T) {
	dir := t.TempDir()
	first := adapterstest.Events("first", 40, 1)
	second := adapterstest.Events("second", 40, 2)

	s1 := newSink(t, csv.Config{Dir: dir})
	export(t, s1, first)
	if err := s1.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	s2 := newSink(t, csv.Config{Dir: dir})
	export(t, s2, second)
	if err := s2.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	a, b := s2.Paths()
	for _, path := range []string{a, b} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(string(raw), "\n")
		if n := strings.Count(string(raw), header+"\n"); n != 1 {
			t.Errorf("%s holds its header %d times, want once", filepath.Base(path), n)
		}
	}
	got, err := peerOf(s2, false).Received(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if c := adapterstest.Compare(append(first, second...), got); !c.Exact() {
		t.Fatalf("after reopening: %s", c)
	}
}

func TestHeaderMismatchIsAClearError(t *testing.T) {
	dir := t.TempDir()
	// A camelCase file reopened with warehouse naming must not get snake_case rows mixed in.
	s := newSink(t, csv.Config{Dir: dir})
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	_, err := csv.NewSink(csv.Config{Dir: dir, WarehouseNaming: true})
	if !errors.Is(err, csv.ErrHeaderMismatch) {
		t.Fatalf("reopening with another naming: err = %v, want ErrHeaderMismatch", err)
	}
	if !strings.Contains(err.Error(), "assignments.csv") || !strings.Contains(err.Error(), "feature_flag") {
		t.Errorf("error should name the file and the expected columns: %v", err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, csv.DefaultBanditFile), []byte("name,age\nbob,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := csv.NewSink(csv.Config{Dir: other}); !errors.Is(err, csv.ErrHeaderMismatch) {
		t.Fatalf("foreign file: err = %v, want ErrHeaderMismatch", err)
	}
	// NewSink failed on the bandit file: the assignment file it had opened must not be left half-set-up.
	raw, err := os.ReadFile(filepath.Join(other, csv.DefaultBanditFile))
	if err != nil || string(raw) != "name,age\nbob,3\n" {
		t.Fatalf("foreign file was modified: %q, %v", raw, err)
	}
}

func TestExistingFileWithoutFinalNewline(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, csv.Config{Dir: dir})
	a, _ := s.Paths()
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// A crash left the file ending inside nothing more than a header without its line break.
	raw, _ := os.ReadFile(a)
	if err := os.WriteFile(a, []byte(strings.TrimSuffix(string(raw), "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := newSink(t, csv.Config{Dir: dir})
	evs := adapterstest.Events("nl", 10, 3)
	export(t, s2, evs)
	got, err := peerOf(s2, false).Received(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if c := adapterstest.Compare(evs, got); !c.Exact() {
		t.Fatalf("rows after a header without newline: %s", c)
	}
}

func TestFormulaGuard(t *testing.T) {
	ev := adapterstest.SizedEvents("f", 1, 0)[0]
	a := *ev.Assignment
	a.Subject = "=HYPERLINK(\"http://evil\")"
	a.Variation = "@SUM(1)"
	a.FeatureFlag = "-1+1"
	a.Allocation = "'quoted"
	ev.Assignment = &a

	for _, guarded := range []bool{true, false} {
		s := newSink(t, csv.Config{Dir: t.TempDir(), FormulaGuard: guarded})
		export(t, s, []batching.Event{ev})
		path, _ := s.Paths()
		_, rows, err := readRows(path)
		if err != nil {
			t.Fatal(err)
		}
		row := rows[0]
		want := []string{a.FeatureFlag, a.Allocation, a.Variation, a.Subject}
		got := []string{row[0], row[1], row[3], row[4]}
		if guarded {
			want = []string{"'-1+1", "''quoted", "'@SUM(1)", "'=HYPERLINK(\"http://evil\")"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("guarded=%v: cells = %q, want %q", guarded, got, want)
		}
		if !strings.HasPrefix(row[5], "{") || !strings.HasPrefix(row[6], "2024-") {
			t.Errorf("JSON and timestamp cells must be untouched: %q %q", row[5], row[6])
		}
	}
}

func TestUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{filepath.Join(notADir, "sub"), notADir} {
		_, err := csv.NewSink(csv.Config{Dir: target})
		if err == nil {
			t.Fatalf("NewSink(%s) succeeded", target)
		}
		if !strings.Contains(err.Error(), "cannot create the directory") || !strings.Contains(err.Error(), target) {
			t.Errorf("error should say which directory cannot be created: %v", err)
		}
	}
	// A directory where a file should be.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := csv.NewSink(csv.Config{Dir: dir, AssignmentFile: "d"})
	if err == nil || !strings.Contains(err.Error(), "cannot open") || !strings.Contains(err.Error(), filepath.Join(dir, "d")) {
		t.Errorf("a directory in place of the file: err = %v, want one naming the path", err)
	}
}

// TestDevFull uses Linux's /dev/full, a real file on which every write fails with ENOSPC.
func TestDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full on this system (%v); the disk-full path is still covered by TestDiskFullMidStream", err)
	}
	_, err := csv.NewSink(csv.Config{Dir: t.TempDir(), AssignmentFile: "/dev/full"})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("NewSink on /dev/full: err = %v, want ENOSPC", err)
	}
	if !strings.Contains(err.Error(), "/dev/full") || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("error should name the file and the cause: %v", err)
	}
}

func TestUnencodableEventFailsAlone(t *testing.T) {
	s := newSink(t, csv.Config{Dir: t.TempDir()})
	evs := adapterstest.Events("nan", 20, 9)
	bad := -1
	for i := range evs {
		if evs[i].Kind == batching.KindBandit {
			b := *evs[i].Bandit
			b.ActionProbability = math.NaN()
			evs[i].Bandit = &b
			bad = i
			break
		}
	}
	if bad < 0 {
		t.Fatal("test data has no bandit event to break")
	}
	broken := len(evs)
	evs = append(evs, batching.Event{ID: "no-payload", Kind: batching.KindAssignment})
	err := s.Export(ctxT(t), batching.Batch{ID: "b", Attempt: 1, Events: evs})
	var pe *batching.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *batching.PartialError", err)
	}
	if len(pe.Failed) != 2 || !batching.IsPermanent(pe.Failed[bad]) || !batching.IsPermanent(pe.Failed[broken]) {
		t.Fatalf("Failed = %v, want permanent errors for indexes %d and %d only", pe.Failed, bad, broken)
	}
	got, err := peerOf(s, false).Received(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	good := slices.Delete(slices.Clone(evs), broken, broken+1)
	good = slices.Delete(good, bad, bad+1)
	if c := adapterstest.Compare(good, got); !c.Exact() {
		t.Fatalf("the other events must be written: %s", c)
	}
}

func TestConcurrentExports(t *testing.T) {
	s := newSink(t, csv.Config{Dir: t.TempDir()})
	var wg sync.WaitGroup
	var all []batching.Event
	for g := range 4 {
		evs := adapterstest.Events("g"+string(rune('a'+g)), 200, uint64(g))
		all = append(all, evs...)
		wg.Go(func() {
			for start := 0; start < len(evs); start += 25 {
				if err := s.Export(context.Background(), batching.Batch{Events: evs[start : start+25]}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := s.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got, err := peerOf(s, false).Received(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if c := adapterstest.Compare(all, got); !c.Exact() {
		t.Fatalf("concurrent exports: %s", c)
	}
}

// TestMetadataCarriesSDKLanguage writes events logged by a real client and reads the metadata column of
// both files: Eppo's keys sdkLanguage ("go") and sdkVersion are there, beside sdkName, under either
// naming.
func TestMetadataCarriesSDKLanguage(t *testing.T) {
	for _, warehouse := range []bool{false, true} {
		s := newSink(t, csv.Config{Dir: t.TempDir(), WarehouseNaming: warehouse})
		export(t, s, adapterstest.ClientEvents(t))
		a, b := s.Paths()
		for _, path := range []string{a, b} {
			header, rows, err := readRows(path)
			if err != nil {
				t.Fatal(err)
			}
			col := slices.IndexFunc(header, func(h string) bool { return h == "metaData" || h == "metadata" })
			if col < 0 || len(rows) != 1 {
				t.Fatalf("%s: header %q, %d rows; want a metadata column and one row", path, header, len(rows))
			}
			var meta map[string]any
			if err := json.Unmarshal([]byte(rows[0][col]), &meta); err != nil {
				t.Fatal(err)
			}
			if err := adapterstest.CheckSDKLanguage(meta); err != nil {
				t.Errorf("%s (warehouse=%v): %v", filepath.Base(path), warehouse, err)
			}
		}
	}
}
