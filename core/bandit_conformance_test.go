package core

import (
	"path/filepath"
	"testing"
)

type banditTestFile struct {
	Flag         string `json:"flag"`
	DefaultValue string `json:"defaultValue"`
	Subjects     []struct {
		SubjectKey        string       `json:"subjectKey"`
		SubjectAttributes looseContext `json:"subjectAttributes"`
		Actions           []struct {
			ActionKey string `json:"actionKey"`
			looseContext
		} `json:"actions"`
		Assignment struct {
			Variation string  `json:"variation"`
			Action    *string `json:"action"`
		} `json:"assignment"`
	} `json:"subjects"`
}

// looseContext is how the conformance files (the .dynamic-typing. ones especially) carry attributes.
type looseContext struct {
	NumericAttributes     map[string]any `json:"numericAttributes"`
	CategoricalAttributes map[string]any `json:"categoricalAttributes"`
}

func (l looseContext) clean() ContextAttributes {
	return CleanContextAttributes(l.NumericAttributes, l.CategoricalAttributes)
}

// TestConformanceBandits runs every file of ufc/bandit-tests, the .dynamic-typing. ones included.
func TestConformanceBandits(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ufcDir(t), "bandit-tests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bandit conformance files in %s: %v", filepath.Join(ufcDir(t), "bandit-tests"), err)
	}
	rec := &recordingLogger{}
	c := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c.banditLogger = rec
	c.assignLogger = rec
	subjects := 0
	for _, path := range files {
		var tf banditTestFile
		mustUnmarshal(t, readFile(t, path), &tf)
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, s := range tf.Subjects {
				subjects++
				actions := make(map[string]ContextAttributes, len(s.Actions))
				for _, a := range s.Actions {
					actions[a.ActionKey] = a.clean()
				}
				before := len(rec.bandits)
				got, _ := c.GetBanditAction(tf.Flag, s.SubjectKey, s.SubjectAttributes.clean(), actions, tf.DefaultValue)
				want := s.Assignment
				if got.Variation != want.Variation || (got.Action == nil) != (want.Action == nil) ||
					(got.Action != nil && *got.Action != *want.Action) {
					t.Errorf("%s: got %s, want variation %q action %v", s.SubjectKey, mustJSON(t, got), want.Variation, deref(want.Action))
				}
				logged := len(rec.bandits) - before
				if want.Action != nil && (logged != 1 || rec.bandits[len(rec.bandits)-1].Action != *want.Action) {
					t.Errorf("%s: want one bandit event for %s, got %d", s.SubjectKey, *want.Action, logged)
				}
				if want.Action == nil && logged != 0 {
					t.Errorf("%s: no action, yet %d bandit event(s)", s.SubjectKey, logged)
				}
			}
		})
	}
	t.Logf("%d files, %d subjects", len(files), subjects)
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
