package core

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// TestEdgeCases runs testdata/edge-cases: a catalogue of evaluation edge cases (coercions, nulls, regexes,
// versions, dangling variations, ...) as data.
func TestEdgeCases(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "testdata", "edge-cases")
	cfg, err := NewConfiguration(readFile(t, filepath.Join(dir, "flags.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{InitialConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	sentinels := map[string]error{
		"ErrFlagConfiguration": ErrFlagConfiguration, "ErrInvalidSubjectKey": ErrInvalidSubjectKey,
		"ErrFlagDisabled": ErrFlagDisabled, "ErrFlagNotFound": ErrFlagNotFound, "ErrTypeMismatch": ErrTypeMismatch,
	}
	var file struct {
		Cases []struct {
			Name              string          `json:"name"`
			Flag              string          `json:"flag"`
			VariationType     string          `json:"variationType"`
			DefaultValue      json.RawMessage `json:"defaultValue"`
			SubjectKey        string          `json:"subjectKey"`
			SubjectAttributes Attributes      `json:"subjectAttributes"`
			Assignment        json.RawMessage `json:"assignment"`
			Error             string          `json:"error"`
		} `json:"cases"`
	}
	mustUnmarshal(t, readFile(t, filepath.Join(dir, "cases.json")), &file)
	if len(file.Cases) == 0 {
		t.Fatal("no edge cases")
	}
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, details := assignAny(t, c, tc.VariationType, tc.Flag, tc.SubjectKey, tc.SubjectAttributes, tc.DefaultValue)
			if !jsonEqual(t, got, tc.Assignment) {
				t.Errorf("assignment = %s, want %s (details: %s)", mustJSON(t, got), tc.Assignment, details.FlagEvaluationDescription)
			}
			_, err := assignErr(c, tc.VariationType, tc.Flag, tc.SubjectKey, tc.SubjectAttributes)
			switch {
			case tc.Error == "" && err != nil && !errors.Is(err, ErrNoAllocation):
				t.Errorf("unexpected error %v", err)
			case tc.Error != "":
				want, ok := sentinels[tc.Error]
				if !ok {
					t.Fatalf("unknown sentinel %q in cases.json", tc.Error)
				}
				if !errors.Is(err, want) {
					t.Errorf("error = %v, want %s", err, tc.Error)
				}
			}
		})
	}
}

// assignErr returns only the error of the getter for the variation type.
func assignErr(c *Client, vt, flagKey, subject string, attrs Attributes) (any, error) {
	switch vt {
	case "STRING":
		return c.GetStringAssignment(flagKey, subject, attrs, "")
	case "INTEGER":
		return c.GetIntegerAssignment(flagKey, subject, attrs, 0)
	case "NUMERIC":
		return c.GetNumericAssignment(flagKey, subject, attrs, 0)
	case "BOOLEAN":
		return c.GetBooleanAssignment(flagKey, subject, attrs, false)
	}
	return c.GetJSONAssignment(flagKey, subject, attrs, nil)
}
