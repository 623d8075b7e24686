package openfeature

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

type ufcFile struct {
	Flag          string          `json:"flag"`
	VariationType string          `json:"variationType"`
	DefaultValue  json.RawMessage `json:"defaultValue"`
	Subjects      []struct {
		SubjectKey        string          `json:"subjectKey"`
		SubjectAttributes map[string]any  `json:"subjectAttributes"`
		Assignment        json.RawMessage `json:"assignment"`
		EvaluationDetails struct {
			EnvironmentName    string          `json:"environmentName"`
			FlagEvaluationCode string          `json:"flagEvaluationCode"`
			VariationKey       *string         `json:"variationKey"`
			MatchedRule        json.RawMessage `json:"matchedRule"`
			MatchedAllocation  *struct {
				Key string `json:"key"`
			} `json:"matchedAllocation"`
		} `json:"evaluationDetails"`
	} `json:"subjects"`
}

// rawFlags is the part of flags-v1.json the test reads to know which flags exist and which allocations
// split traffic, independently of the provider.
type rawFlags struct {
	Flags map[string]struct {
		TotalShards *int64 `json:"totalShards"`
		Allocations []struct {
			Key    string `json:"key"`
			Splits []struct {
				Shards []struct {
					Ranges []struct{ Start, End int64 } `json:"ranges"`
				} `json:"shards"`
			} `json:"splits"`
		} `json:"allocations"`
	} `json:"flags"`
}

// splitsTraffic reports whether the allocation has a shard that does not cover all traffic.
func (r rawFlags) splitsTraffic(flag, allocation string) bool {
	f := r.Flags[flag]
	total := int64(10000)
	if f.TotalShards != nil {
		total = *f.TotalShards
	}
	for _, a := range f.Allocations {
		if a.Key != allocation {
			continue
		}
		for _, s := range a.Splits {
			for _, sh := range s.Shards {
				full := false
				for _, rg := range sh.Ranges {
					full = full || (rg.Start <= 0 && rg.End >= total)
				}
				if !full {
					return true
				}
			}
		}
	}
	return false
}

// expectedOutcome derives OpenFeature's reason and error code from the conformance file's Eppo result.
func expectedOutcome(r rawFlags, flag string, code string, matchedRule json.RawMessage, allocation string) (of.Reason, of.ErrorCode) {
	switch code {
	case "MATCH":
		if len(matchedRule) > 0 && string(matchedRule) != "null" {
			return of.TargetingMatchReason, ""
		}
		if r.splitsTraffic(flag, allocation) {
			return of.SplitReason, ""
		}
		return of.StaticReason, ""
	case "DEFAULT_ALLOCATION_NULL":
		return of.DefaultReason, ""
	case "FLAG_UNRECOGNIZED_OR_DISABLED":
		if _, ok := r.Flags[flag]; ok {
			return of.DisabledReason, ""
		}
		return of.ErrorReason, of.FlagNotFoundCode
	case "ASSIGNMENT_ERROR":
		return of.ErrorReason, of.ParseErrorCode
	case "TYPE_MISMATCH":
		return of.ErrorReason, of.TypeMismatchCode
	}
	return of.UnknownReason, "unexpected code " + of.ErrorCode(code)
}

// evaluateTyped calls the OpenFeature getter matching the file's variation type.
func evaluateTyped(ctx context.Context, t *testing.T, c *of.Client, vt, flag string, rawDefault json.RawMessage, ec of.EvaluationContext) (any, of.ResolutionDetail, error) {
	t.Helper()
	switch vt {
	case "STRING":
		d, err := c.StringValueDetails(ctx, flag, decode[string](t, rawDefault), ec)
		return d.Value, d.ResolutionDetail, err
	case "INTEGER":
		d, err := c.IntValueDetails(ctx, flag, int64(decode[float64](t, rawDefault)), ec) // some defaults are written as floats
		return d.Value, d.ResolutionDetail, err
	case "NUMERIC":
		d, err := c.FloatValueDetails(ctx, flag, decode[float64](t, rawDefault), ec)
		return d.Value, d.ResolutionDetail, err
	case "BOOLEAN":
		d, err := c.BooleanValueDetails(ctx, flag, decode[bool](t, rawDefault), ec)
		return d.Value, d.ResolutionDetail, err
	case "JSON":
		d, err := c.ObjectValueDetails(ctx, flag, decode[any](t, rawDefault), ec)
		return d.Value, d.ResolutionDetail, err
	}
	t.Fatalf("unknown variationType %q", vt)
	return nil, of.ResolutionDetail{}, nil
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

// sameJSON compares a value with the file's expected JSON as generic JSON values.
func sameJSON(t *testing.T, got any, want json.RawMessage) bool {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(decode[any](t, b), decode[any](t, want))
}

// TestConformanceThroughOpenFeature runs every subject of every ufc/tests file through the OpenFeature
// API: value, variant, reason, error code and metadata.
func TestConformanceThroughOpenFeature(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ufcDir, "tests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance files in %s: %v", ufcDir, err)
	}
	flagsJSON := readUFC(t, "flags-v1.json")
	raw := decode[rawFlags](t, flagsJSON)
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, flagsJSON)})
	_, ofc := startAPI(t, NewProvider(client))
	ctx := context.Background()

	subjects := 0
	reasons := map[of.Reason]int{}
	for _, path := range files {
		tf := decode[ufcFile](t, readFile(t, path))
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, s := range tf.Subjects {
				subjects++
				want := s.EvaluationDetails
				allocation := ""
				if want.MatchedAllocation != nil {
					allocation = want.MatchedAllocation.Key
				}
				wantReason, wantCode := expectedOutcome(raw, tf.Flag, want.FlagEvaluationCode, want.MatchedRule, allocation)
				reasons[wantReason]++

				got, d, err := evaluateTyped(ctx, t, ofc, tf.VariationType, tf.Flag, tf.DefaultValue,
					of.NewEvaluationContext(s.SubjectKey, s.SubjectAttributes))
				if !sameJSON(t, got, s.Assignment) {
					t.Errorf("%s: value %v, want %s", s.SubjectKey, got, s.Assignment)
				}
				if d.Reason != wantReason || d.ErrorCode != wantCode {
					t.Errorf("%s: reason %s, code %q; want %s, %q", s.SubjectKey, d.Reason, d.ErrorCode, wantReason, wantCode)
				}
				if (err != nil) != (wantCode != "") {
					t.Errorf("%s: error %v, want one only with an error code (%q)", s.SubjectKey, err, wantCode)
				}
				wantVariant := ""
				if want.VariationKey != nil && wantCode == "" {
					wantVariant = *want.VariationKey
				}
				if d.Variant != wantVariant {
					t.Errorf("%s: variant %q, want %q", s.SubjectKey, d.Variant, wantVariant)
				}
				checkMetadata(t, s.SubjectKey, d.FlagMetadata, want.FlagEvaluationCode, allocation, want.EnvironmentName)
			}
		})
	}
	t.Logf("%d files, %d subjects, reasons %v", len(files), subjects, reasons)
	for _, r := range []of.Reason{of.TargetingMatchReason, of.SplitReason, of.StaticReason, of.DefaultReason, of.DisabledReason, of.ErrorReason} {
		if reasons[r] == 0 {
			t.Errorf("the conformance data exercised no %s result", r)
		}
	}
}

func checkMetadata(t *testing.T, subject string, md of.FlagMetadata, code, allocation, env string) {
	t.Helper()
	if got, _ := md.GetString(metaCode); got != code {
		t.Errorf("%s: metadata %s = %q, want %q", subject, metaCode, got, code)
	}
	if got, _ := md.GetString(metaAllocationKey); got != allocation {
		t.Errorf("%s: metadata %s = %q, want %q", subject, metaAllocationKey, got, allocation)
	}
	if _, err := md.GetBool(metaDoLog); (err == nil) != (allocation != "") {
		t.Errorf("%s: metadata %s present = %v, want it exactly when an allocation matched", subject, metaDoLog, err == nil)
	}
	if got, _ := md.GetString(metaFlagSetID); got != env {
		t.Errorf("%s: metadata %s = %q, want %q", subject, metaFlagSetID, got, env)
	}
	if v, _ := md.GetString(metaVersion); v == "" {
		t.Errorf("%s: metadata has no %s", subject, metaVersion)
	}
}

// TestReasonsBeyondTheData covers the table rows the conformance files do not reach.
func TestReasonsBeyondTheData(t *testing.T) {
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, readUFC(t, "flags-v1.json"))})
	_, ofc := startAPI(t, NewProvider(client))
	ctx := context.Background()

	t.Run("string flag read as int is TYPE_MISMATCH", func(t *testing.T) {
		d, err := ofc.IntValueDetails(ctx, "empty_flag", 7, of.NewEvaluationContext("alice", nil))
		if d.Value != 7 || d.Reason != of.ErrorReason || d.ErrorCode != of.TypeMismatchCode || err == nil {
			t.Errorf("got %d, %s, %s, %v; want the default, ERROR, TYPE_MISMATCH and an error", d.Value, d.Reason, d.ErrorCode, err)
		}
	})
	t.Run("absent flag is FLAG_NOT_FOUND", func(t *testing.T) {
		d, err := ofc.BooleanValueDetails(ctx, "no-such-flag", true, of.NewEvaluationContext("alice", nil))
		if !d.Value || d.Reason != of.ErrorReason || d.ErrorCode != of.FlagNotFoundCode || err == nil {
			t.Errorf("got %v, %s, %s, %v; want the default, ERROR, FLAG_NOT_FOUND and an error", d.Value, d.Reason, d.ErrorCode, err)
		}
	})
	t.Run("disabled flag is DISABLED without error", func(t *testing.T) {
		d, err := ofc.IntValueDetails(ctx, "disabled_flag", 3, of.NewEvaluationContext("alice", nil))
		if d.Value != 3 || d.Reason != of.DisabledReason || d.ErrorCode != "" || err != nil {
			t.Errorf("got %d, %s, %q, %v; want the default, DISABLED, no error", d.Value, d.Reason, d.ErrorCode, err)
		}
	})
	t.Run("empty targeting key is DEFAULT without error", func(t *testing.T) {
		d, err := ofc.StringValueDetails(ctx, "new-user-onboarding", "fallback", of.NewEvaluationContext("", map[string]any{"country": "US"}))
		if d.Value != "fallback" || d.Reason != of.DefaultReason || d.ErrorCode != "" || err != nil {
			t.Errorf("got %q, %s, %q, %v; want the default, DEFAULT, no error", d.Value, d.Reason, d.ErrorCode, err)
		}
	})
	t.Run("object flag returns decoded JSON", func(t *testing.T) {
		d, err := ofc.ObjectValueDetails(ctx, "json-config-flag", nil, of.NewEvaluationContext("alice", nil))
		if _, ok := d.Value.(map[string]any); !ok || err != nil {
			t.Errorf("got %T %v, %v; want a map[string]any", d.Value, d.Value, err)
		}
	})
}

// TestNotReadyBeforeFirstConfiguration: without a configuration the provider answers PROVIDER_NOT_READY,
// InitWithContext blocks, and the first configuration makes the provider ready.
func TestNotReadyBeforeFirstConfiguration(t *testing.T) {
	client := newOfflineClient(t, core.Config{})
	p := NewProvider(client)
	ctx := context.Background()
	flat := of.FlattenedContext{of.TargetingKey: "alice"}

	direct := p.StringEvaluation(ctx, "empty_flag", "d", flat)
	if direct.Value != "d" || direct.Reason != of.ErrorReason || direct.ResolutionDetail().ErrorCode != of.ProviderNotReadyCode {
		t.Errorf("provider without configuration: %+v; want the default, ERROR, PROVIDER_NOT_READY", direct)
	}

	api := isolatedAPI(t)
	ready := make(chan struct{}, 4)
	onReady := func(of.EventDetails) { ready <- struct{}{} }
	api.AddHandler(of.ProviderReady, &onReady)
	if err := api.SetProvider(ctx, p); err != nil { // Init runs in the background and waits
		t.Fatal(err)
	}
	ofc := api.NewClient()
	d, err := ofc.StringValueDetails(ctx, "empty_flag", "d", of.NewEvaluationContext("alice", nil))
	if d.Value != "d" || d.Reason != of.ErrorReason || d.ErrorCode != of.ProviderNotReadyCode || !errors.Is(err, of.ProviderNotReadyError) {
		t.Errorf("before the first configuration: %q, %s, %s, %v; want PROVIDER_NOT_READY", d.Value, d.Reason, d.ErrorCode, err)
	}

	client.SetConfiguration(loadConfiguration(t, readUFC(t, "flags-v1.json")))
	waitFor(t, ready, "PROVIDER_READY after the first configuration")
	d, err = ofc.StringValueDetails(ctx, "new-user-onboarding", "d", of.NewEvaluationContext("alice", map[string]any{"email": "alice@mycompany.com", "country": "US"}))
	if d.Value != "green" || err != nil {
		t.Errorf("after the first configuration: %q, %v; want green", d.Value, err)
	}
}
