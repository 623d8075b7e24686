package csv_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// adversarial are values that break naive CSV writers or that a formula guard would change.
var adversarial = []string{
	"=1+2", "+33612345678", "-42", "@SUM(A1)", "'quoted", `say "hi"`, `""`, "a,b,c", "line\nbreak",
	"\ttab", "\rcr", "日本語 é ñ 🎉", " padded ", ",", "\"", "=HYPERLINK(\"http://x\")", "-",
}

// TestRoundTripByDefault writes events whose every text field is an adversarial value, with the default
// Config, reads the files back with encoding/csv and checks that each cell is exactly the value logged,
// and that the events decoded from the rows equal the events written.
func TestRoundTripByDefault(t *testing.T) {
	for _, warehouse := range []bool{false, true} {
		s := newSink(t, csv.Config{Dir: t.TempDir(), WarehouseNaming: warehouse})
		ts := time.Date(2024, 5, 1, 9, 30, 0, 123e6, time.UTC)
		meta := core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion}
		var events []batching.Event
		for i, v := range adversarial {
			events = append(events, batching.Event{ID: "a" + v, Kind: batching.KindAssignment, Assignment: &core.AssignmentEvent{
				FeatureFlag: v, Allocation: v, Experiment: v + "-" + v, Variation: v, Subject: v,
				SubjectAttributes: core.Attributes{v: v, "n": float64(i)}, Timestamp: ts, MetaData: meta,
				ExtraLogging: map[string]string{v: v},
			}}, batching.Event{ID: "b" + v, Kind: batching.KindBandit, Bandit: &core.BanditEvent{
				FlagKey: v, BanditKey: v, Subject: v, Action: v, ActionProbability: 0.25, OptimalityGap: -1.5,
				ModelVersion: v, Timestamp: ts, MetaData: meta,
				SubjectCategoricalAttributes: map[string]string{v: v}, ActionCategoricalAttributes: map[string]string{v: v},
			}})
		}
		export(t, s, events)
		aPath, bPath := s.Paths()

		_, aRows, err := readRows(aPath)
		if err != nil {
			t.Fatal(err)
		}
		_, bRows, err := readRows(bPath)
		if err != nil {
			t.Fatal(err)
		}
		if len(aRows) != len(adversarial) || len(bRows) != len(adversarial) {
			t.Fatalf("rows: %d assignments, %d bandit actions; want %d each", len(aRows), len(bRows), len(adversarial))
		}
		for i, v := range adversarial {
			// featureFlag, allocation, variation, subject; flagKey, banditKey, subject, action, modelVersion.
			gotA := []string{aRows[i][0], aRows[i][1], aRows[i][3], aRows[i][4]}
			gotB := []string{bRows[i][1], bRows[i][2], bRows[i][3], bRows[i][4], bRows[i][7]}
			if !slices.Equal(gotA, []string{v, v, v, v}) || !slices.Equal(gotB, []string{v, v, v, v, v}) {
				t.Errorf("warehouse=%v: value %q came back as %q and %q", warehouse, v, gotA, gotB)
			}
			if aRows[i][2] != v+"-"+v {
				t.Errorf("warehouse=%v: experiment %q came back as %q", warehouse, v+"-"+v, aRows[i][2])
			}
		}
		got, err := filePeer{assignments: aPath, bandits: bPath}.Received(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if c := adapterstest.Compare(events, got); !c.Exact() {
			t.Fatalf("warehouse=%v: decoded rows differ from the events: %s", warehouse, c)
		}
	}
}

// TestCRLFInsideAValueIsWrittenAsIs: encoding/csv's Reader turns "\r\n" inside a quoted field into "\n"
// (whatever wrote the file), so such a value cannot come back exactly through it; the file itself holds
// the bytes as given, for readers that keep them.
func TestCRLFInsideAValueIsWrittenAsIs(t *testing.T) {
	s := newSink(t, csv.Config{Dir: t.TempDir()})
	ev := adapterstest.SizedEvents("crlf", 1, 0)[0]
	a := *ev.Assignment
	a.Subject = "cr\r\nlf"
	ev.Assignment = &a
	export(t, s, []batching.Event{ev})
	aPath, _ := s.Paths()
	raw, err := os.ReadFile(aPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"cr`+"\r\n"+`lf"`) {
		t.Fatalf("file does not hold the subject's bytes as given:\n%q", raw)
	}
}
