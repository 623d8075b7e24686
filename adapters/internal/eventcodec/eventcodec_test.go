package eventcodec

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

func sampleAssignment() *core.AssignmentEvent {
	return &core.AssignmentEvent{
		FeatureFlag:       "new-checkout",
		Allocation:        "rollout",
		Experiment:        "new-checkout-rollout",
		Variation:         "on",
		Subject:           "user-\"42\"\n",
		SubjectAttributes: core.Attributes{"country": "FR", "age": 37, "vip": true, "score": 0.5, "none": nil},
		Timestamp:         time.Date(2021, 6, 22, 17, 35, 12, 123456789, time.FixedZone("CEST", 2*3600)),
		MetaData:          core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion},
		ExtraLogging:      map[string]string{"holdout": "h1", "b": "<&>"},
	}
}

func sampleBandit() *core.BanditEvent {
	return &core.BanditEvent{
		FlagKey:                      "shoe-bandit",
		BanditKey:                    "bandit-v1",
		Subject:                      "alice",
		Action:                       "nike",
		ActionProbability:            0.25,
		OptimalityGap:                1e-9,
		ModelVersion:                 "v123",
		Timestamp:                    time.Date(2024, 1, 2, 3, 4, 5, 6_000_000, time.UTC),
		SubjectNumericAttributes:     map[string]float64{"age": 30, "height": 1.8},
		SubjectCategoricalAttributes: map[string]string{"country": "US"},
		ActionNumericAttributes:      map[string]float64{"price": 99.99},
		ActionCategoricalAttributes:  map[string]string{"brand": "nike"},
		MetaData:                     core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion},
	}
}

// decodeObject decodes one JSON object and returns it with its keys in document order.
func decodeObject(t *testing.T, b []byte) (map[string]any, []string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
				expectKey = v == '{' && depth == 1
			} else {
				depth--
				expectKey = depth == 1
			}
			continue
		case string:
			if depth == 1 && expectKey {
				keys = append(keys, v)
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
	return m, keys
}

func TestAssignmentJSONMatchesCoreEncoding(t *testing.T) {
	e := sampleAssignment()
	got, err := AppendAssignmentJSON(nil, e, CamelCase)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	gotMap, keys := decodeObject(t, got)
	wantMap, _ := decodeObject(t, want)
	if !reflect.DeepEqual(gotMap, wantMap) {
		t.Fatalf("camelCase JSON differs from core's MarshalJSON:\n got %s\nwant %s", got, want)
	}
	wantKeys := []string{"featureFlag", "allocation", "experiment", "variation", "subject", "subjectAttributes",
		"timestamp", "metaData", "extraLogging"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("keys = %v, want %v", keys, wantKeys)
	}
	if gotMap["timestamp"] != "2021-06-22T15:35:12.123Z" {
		t.Fatalf("timestamp = %v, want UTC with milliseconds", gotMap["timestamp"])
	}
}

func TestAssignmentJSONWarehouseNames(t *testing.T) {
	got, err := AppendAssignmentJSON(nil, sampleAssignment(), Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	m, keys := decodeObject(t, got)
	wantKeys := []string{"feature_flag", "allocation", "experiment", "variation", "subject", "subject_attributes",
		"timestamp", "metadata", "extra_logging"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("keys = %v, want %v", keys, wantKeys)
	}
	if !slices.Equal(AssignmentColumns(Warehouse), wantKeys) {
		t.Fatalf("AssignmentColumns(Warehouse) = %v, want %v", AssignmentColumns(Warehouse), wantKeys)
	}
	if m["feature_flag"] != "new-checkout" || m["subject"] != "user-\"42\"\n" {
		t.Fatalf("values lost: %v", m)
	}
}

func TestBanditJSONMatchesCoreEncoding(t *testing.T) {
	e := sampleBandit()
	got, err := AppendBanditJSON(nil, e, CamelCase)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	gotMap, _ := decodeObject(t, got)
	wantMap, _ := decodeObject(t, want)
	if !reflect.DeepEqual(gotMap, wantMap) {
		t.Fatalf("camelCase JSON differs from core's MarshalJSON:\n got %s\nwant %s", got, want)
	}
}

func TestBanditJSONWarehouseNamesAreEpposTable(t *testing.T) {
	got, err := AppendBanditJSON(nil, sampleBandit(), Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	_, keys := decodeObject(t, got)
	// The fixed column list of Eppo's bandit-actions table (its fixed snake_case columns).
	want := []string{"timestamp", "flag_key", "bandit_key", "subject", "action", "action_probability",
		"optimality_gap", "model_version", "subject_numeric_attributes", "subject_categorical_attributes",
		"action_numeric_attributes", "action_categorical_attributes", "metadata"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	if !slices.Equal(BanditColumns(Warehouse), want) {
		t.Fatalf("BanditColumns(Warehouse) = %v", BanditColumns(Warehouse))
	}
}

func TestNilMapsAreEmptyObjects(t *testing.T) {
	e := sampleBandit()
	e.SubjectNumericAttributes, e.ActionCategoricalAttributes = nil, nil
	got, err := AppendBanditJSON(nil, e, Warehouse)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeObject(t, got)
	for _, k := range []string{"subject_numeric_attributes", "action_categorical_attributes"} {
		if v, ok := m[k].(map[string]any); !ok || len(v) != 0 {
			t.Errorf("%s = %#v, want {}", k, m[k])
		}
	}
}

func TestColumnsAreFreshSlices(t *testing.T) {
	a := AssignmentColumns(CamelCase)
	a[0] = "mutated"
	if AssignmentColumns(CamelCase)[0] != "featureFlag" {
		t.Fatal("AssignmentColumns returned shared storage")
	}
}

func TestUnencodableValuesAreErrors(t *testing.T) {
	e := sampleBandit()
	e.ActionProbability = math.NaN()
	if _, err := AppendBanditJSON(nil, e, CamelCase); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("NaN probability: err = %v, want ErrUnsupportedValue", err)
	}
	a := sampleAssignment()
	a.SubjectAttributes = core.Attributes{"ch": make(chan int)}
	if _, err := AppendAssignmentJSON(nil, a, CamelCase); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("channel attribute: err = %v, want ErrUnsupportedValue", err)
	}
	var r Record
	if _, err := r.Assignment(nil, a); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("Record.Assignment: err = %v, want ErrUnsupportedValue", err)
	}
	e.ActionProbability = 0.5
	e.ActionNumericAttributes = map[string]float64{"x": math.Inf(1)}
	if _, err := r.Bandit(nil, e); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("Record.Bandit: err = %v, want ErrUnsupportedValue", err)
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.125, math.MaxFloat64,
		math.SmallestNonzeroFloat64, -3.5e-300} {
		got, err := AppendFloat(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(f)
		if string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestAppendAttributesNumbersMatchEncodingJSON(t *testing.T) {
	attrs := core.Attributes{"i": int8(-8), "u": uint64(math.MaxUint64), "f32": float32(0.1), "i64": int64(math.MinInt64),
		"list": []string{"a"}}
	got, err := AppendAttributes(nil, attrs)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(map[string]any(attrs))
	if string(got) != string(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x1f\t\r\n", "\u2028\u2029", "bad\xffutf8",
		"é日本", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		var decoded string
		if err := json.Unmarshal(got, &decoded); err != nil {
			t.Fatalf("AppendString(%q) = %s is not a JSON string: %v", s, got, err)
		}
		if want := refJSON(t, s); string(got) != want {
			t.Fatalf("AppendString(%q) = %s, encoding/json (adjusted) = %s", s, got, want)
		}
	})
}

func TestRecordCellsFollowColumns(t *testing.T) {
	r := Record{Text: func(s string) string { return "T:" + s }}
	a := sampleAssignment()
	row, err := r.Assignment(nil, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(row) != len(AssignmentColumns(CamelCase)) {
		t.Fatalf("row has %d cells, want %d", len(row), len(AssignmentColumns(CamelCase)))
	}
	want := []string{"T:new-checkout", "T:rollout", "T:new-checkout-rollout", "T:on", "T:user-\"42\"\n",
		`{"age":37,"country":"FR","none":null,"score":0.5,"vip":true}`, "2021-06-22T15:35:12.123Z",
		`{"sdkName":"eppokit-go","sdkLanguage":"go","sdkVersion":"0.2.0"}`, `{"b":"<&>","holdout":"h1"}`}
	if !slices.Equal(row, want) {
		t.Fatalf("row = %q\nwant  %q", row, want)
	}

	brow, err := r.Bandit(nil, sampleBandit())
	if err != nil {
		t.Fatal(err)
	}
	bwant := []string{"2024-01-02T03:04:05.006Z", "T:shoe-bandit", "T:bandit-v1", "T:alice", "T:nike", "0.25", "1e-9",
		"T:v123", `{"age":30,"height":1.8}`, `{"country":"US"}`, `{"price":99.99}`, `{"brand":"nike"}`,
		`{"sdkName":"eppokit-go","sdkLanguage":"go","sdkVersion":"0.2.0"}`}
	if !slices.Equal(brow, bwant) {
		t.Fatalf("bandit row = %q\nwant         %q", brow, bwant)
	}
}

func TestNamingString(t *testing.T) {
	if CamelCase.String() != "camelCase" || Warehouse.String() != "warehouse" || Naming(9).String() != "Naming(9)" {
		t.Fatal("unexpected Naming.String output")
	}
	if EventIDColumn(CamelCase) != "eventId" || EventIDColumn(Warehouse) != "event_id" {
		t.Fatal("unexpected event ID column names")
	}
}
