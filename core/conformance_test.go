package core

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

type ufcTestFile struct {
	Flag          string          `json:"flag"`
	VariationType string          `json:"variationType"`
	DefaultValue  json.RawMessage `json:"defaultValue"`
	Subjects      []struct {
		SubjectKey        string                     `json:"subjectKey"`
		SubjectAttributes Attributes                 `json:"subjectAttributes"`
		Assignment        json.RawMessage            `json:"assignment"`
		EvaluationDetails map[string]json.RawMessage `json:"evaluationDetails"`
	} `json:"subjects"`
}

func loadClient(t testing.TB, flagsFile, banditsFile string) *Client {
	t.Helper()
	dir := ufcDir(t)
	var bandits []byte
	if banditsFile != "" {
		bandits = readFile(t, filepath.Join(dir, banditsFile))
	}
	cfg, err := NewConfiguration(readFile(t, filepath.Join(dir, flagsFile)), bandits)
	if err != nil {
		t.Fatalf("NewConfiguration(%s): %v", flagsFile, err)
	}
	c, err := NewClient(Config{InitialConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConformanceUFC runs every file of ufc/tests: value and the whole evaluationDetails object.
func TestConformanceUFC(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ufcDir(t), "tests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance files found in %s: %v", filepath.Join(ufcDir(t), "tests"), err)
	}
	c := loadClient(t, "flags-v1.json", "")
	subjects := 0
	for _, path := range files {
		var tf ufcTestFile
		if err := json.Unmarshal(readFile(t, path), &tf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, s := range tf.Subjects {
				subjects++
				got, details := assignAny(t, c, tf.VariationType, tf.Flag, s.SubjectKey, s.SubjectAttributes, tf.DefaultValue)
				if !jsonEqual(t, got, s.Assignment) {
					t.Errorf("%s: assignment = %s, want %s", s.SubjectKey, mustJSON(t, got), s.Assignment)
				}
				compareDetails(t, s.SubjectKey, details, s.EvaluationDetails)
			}
		})
	}
	t.Logf("%d files, %d subjects", len(files), subjects)
}

// assignAny calls the getter for the file's variation type and returns the value as a JSON-able value.
func assignAny(t *testing.T, c *Client, vt, flagKey, subject string, attrs Attributes, rawDefault json.RawMessage) (any, EvaluationDetails) {
	t.Helper()
	switch vt {
	case "STRING":
		return both(t, c.GetStringAssignmentDetails, c.GetStringAssignment, flagKey, subject, attrs, decode[string](t, rawDefault))
	case "INTEGER":
		def := int64(decode[float64](t, rawDefault)) // the files write some integer defaults as floats
		return both(t, c.GetIntegerAssignmentDetails, c.GetIntegerAssignment, flagKey, subject, attrs, def)
	case "NUMERIC":
		return both(t, c.GetNumericAssignmentDetails, c.GetNumericAssignment, flagKey, subject, attrs, decode[float64](t, rawDefault))
	case "BOOLEAN":
		return both(t, c.GetBooleanAssignmentDetails, c.GetBooleanAssignment, flagKey, subject, attrs, decode[bool](t, rawDefault))
	case "JSON":
		v, d := both(t, c.GetJSONAssignmentDetails, c.GetJSONAssignment, flagKey, subject, attrs, decode[any](t, rawDefault))
		b, _ := c.GetJSONBytesAssignment(flagKey, subject, attrs, rawDefault)
		if fromBytes := decode[any](t, b); !reflect.DeepEqual(fromBytes, v) {
			t.Errorf("%s: JSON bytes getter %s disagrees with parsed getter %v", subject, b, v)
		}
		return v, d
	}
	t.Fatalf("unknown variationType %q", vt)
	return nil, EvaluationDetails{}
}

// both calls a Details getter and its plain twin, checks they agree, and returns the value and details.
func both[T any](t *testing.T, details func(string, string, Attributes, T) (T, EvaluationDetails, error),
	plain func(string, string, Attributes, T) (T, error), flagKey, subject string, attrs Attributes, def T) (any, EvaluationDetails) {
	t.Helper()
	v, d, _ := details(flagKey, subject, attrs, def)
	if p, _ := plain(flagKey, subject, attrs, def); !reflect.DeepEqual(p, v) {
		t.Errorf("%s: plain getter %v differs from details getter %v", subject, p, v)
	}
	return v, d
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	mustUnmarshal(t, raw, &v)
	return v
}

// compareDetails compares every field of the expected evaluationDetails object with ours, as JSON values.
func compareDetails(t *testing.T, subject string, got EvaluationDetails, want map[string]json.RawMessage) {
	t.Helper()
	var gotFields map[string]json.RawMessage
	mustUnmarshal(t, mustJSON(t, got), &gotFields)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := gotFields[k]
		if !ok {
			t.Errorf("%s: details lack field %q", subject, k)
			continue
		}
		if !jsonEqual(t, g, want[k]) {
			t.Errorf("%s: details.%s = %s, want %s", subject, k, g, want[k])
		}
	}
	for k := range gotFields {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: details have extra field %q", subject, k)
		}
	}
}

// jsonEqual compares a value (or raw JSON) with raw JSON after decoding both generically.
func jsonEqual(t *testing.T, got any, want json.RawMessage) bool {
	t.Helper()
	var g, w any
	raw, ok := got.(json.RawMessage)
	if !ok {
		raw = mustJSON(t, got)
	}
	mustUnmarshal(t, raw, &g)
	mustUnmarshal(t, want, &w)
	return reflect.DeepEqual(g, w)
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return b
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}
