package adapterstest

import (
	"fmt"
	"testing"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// oneFlag is a configuration with one flag that logs every subject's exposure to "on".
const oneFlag = `{"format": "SERVER", "environment": {"name": "test"}, "flags": {"metadata-flag": {
  "key": "metadata-flag", "enabled": true, "variationType": "STRING", "totalShards": 10000,
  "variations": {"on": {"key": "on", "value": "on"}},
  "allocations": [{"key": "everyone", "doLog": true, "splits": [{"variationKey": "on", "shards": []}]}]}}}`

type recorder struct{ events []core.AssignmentEvent }

func (r *recorder) LogAssignment(e core.AssignmentEvent) { r.events = append(r.events, e) }

// ClientEvents returns an assignment event logged by a real core.Client, and a bandit event carrying that
// event's metadata: what a sink receives in production, metadata included.
func ClientEvents(t testing.TB) []batching.Event {
	t.Helper()
	cfg, err := core.NewConfiguration([]byte(oneFlag), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	client, err := core.NewClient(core.Config{InitialConfiguration: cfg, AssignmentLogger: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(t.Context())
	if v, err := client.GetStringAssignment("metadata-flag", "user-1", nil, "off"); err != nil || v != "on" {
		t.Fatalf("assignment = %q, %v; want on", v, err)
	}
	if len(rec.events) != 1 {
		t.Fatalf("client logged %d events, want 1", len(rec.events))
	}
	a := rec.events[0]
	return []batching.Event{
		{ID: "client-assignment", Kind: batching.KindAssignment, Assignment: &a},
		{ID: "client-bandit", Kind: batching.KindBandit, Bandit: &core.BanditEvent{
			FlagKey: "metadata-flag", BanditKey: "bandit", Subject: "user-1", Action: "a",
			ActionProbability: 1, ModelVersion: "v1", Timestamp: time.Now(), MetaData: a.MetaData,
		}},
	}
}

// CheckSDKLanguage checks that a metaData object decoded from a sink's output carries Eppo's keys:
// sdkLanguage "go" and sdkVersion, beside sdkName.
func CheckSDKLanguage(meta map[string]any) error {
	if meta["sdkLanguage"] != "go" || meta["sdkVersion"] != core.SDKVersion || meta["sdkName"] != core.SDKName {
		return fmt.Errorf("metaData = %v, want sdkName %q, sdkLanguage \"go\", sdkVersion %q", meta, core.SDKName,
			core.SDKVersion)
	}
	return nil
}
