package bandit

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type banditTestFile struct {
	Flag     string              `json:"flag"`
	Subjects []banditTestSubject `json:"subjects"`
}

type banditTestSubject struct {
	SubjectKey        string            `json:"subjectKey"`
	SubjectAttributes rawContext        `json:"subjectAttributes"`
	Actions           []banditTestActon `json:"actions"`
	Assignment        struct {
		Variation string  `json:"variation"`
		Action    *string `json:"action"`
	} `json:"assignment"`
}

type banditTestActon struct {
	ActionKey string `json:"actionKey"`
	rawContext
}

type rawContext struct {
	Numeric     map[string]any `json:"numericAttributes"`
	Categorical map[string]any `json:"categoricalAttributes"`
}

// banditLinks reads the legacy "bandits" section of ufc/bandit-flags-v1.json:
// flag key → variation value → bandit key.
func banditLinks(t *testing.T) map[string]map[string]string {
	var cfg struct {
		Bandits map[string][]struct {
			Key            string `json:"key"`
			FlagKey        string `json:"flagKey"`
			VariationValue string `json:"variationValue"`
		} `json:"bandits"`
	}
	if err := json.Unmarshal(readUFC(t, "bandit-flags-v1.json"), &cfg); err != nil {
		t.Fatal(err)
	}
	links := map[string]map[string]string{}
	for _, vs := range cfg.Bandits {
		for _, v := range vs {
			if links[v.FlagKey] == nil {
				links[v.FlagKey] = map[string]string{}
			}
			links[v.FlagKey][v.VariationValue] = v.Key
		}
	}
	return links
}

// TestConformanceSelections runs every ufc/bandit-tests file. Flag evaluation is not this package's job, so
// only subjects whose expected variation is a bandit variation and that pass actions are selected here; each
// must get the expected action. The other subjects are core's to check.
func TestConformanceSelections(t *testing.T) {
	ms := fixtureModels(t)
	links := banditLinks(t)
	files, err := filepath.Glob(filepath.Join(ufcDir, "bandit-tests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bandit test files found (%v)", err)
	}
	checked := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f banditTestFile
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		dynamic := strings.Contains(filepath.Base(path), ".dynamic-typing.")
		for _, s := range f.Subjects {
			banditKey, isBandit := links[f.Flag][s.Assignment.Variation]
			if !isBandit || len(s.Actions) == 0 {
				if s.Assignment.Action != nil {
					t.Errorf("%s/%s: expects action %q without a bandit variation and actions", filepath.Base(path), s.SubjectKey, *s.Assignment.Action)
				}
				continue
			}
			m, err := ms.Lookup(banditKey)
			if err != nil {
				t.Fatalf("%s/%s: %v", filepath.Base(path), s.SubjectKey, err)
			}
			subjNum, subjCat := toContext(t, s.SubjectAttributes, dynamic)
			actions := make([]Action, len(s.Actions))
			for i, a := range s.Actions {
				num, cat := toContext(t, a.rawContext, dynamic)
				actions[i] = Action{Key: a.ActionKey, Numeric: num, Categorical: cat}
			}
			sel, err := m.Select(f.Flag, s.SubjectKey, subjNum, subjCat, actions)
			if err != nil {
				t.Errorf("%s/%s: Select: %v", filepath.Base(path), s.SubjectKey, err)
				continue
			}
			if s.Assignment.Action == nil || sel.Key != *s.Assignment.Action {
				t.Errorf("%s/%s: selected %q, want %v", filepath.Base(path), s.SubjectKey, sel.Key, deref(s.Assignment.Action))
			}
			checked++
		}
	}
	t.Logf("%d bandit selections checked across %d files", checked, len(files))
	if checked < 15 {
		t.Fatalf("only %d selections were checked; the conformance data should give at least 15", checked)
	}
}

// toContext turns conformance attributes into typed maps. Well-typed files must hold numbers in the numeric
// map and strings in the categorical map. Dynamic-typing files are cleaned as Eppo's SDKs do: the numeric map
// keeps finite numbers only; the categorical map keeps strings and stringifies numbers and bools; nulls and
// anything else are dropped.
func toContext(t *testing.T, raw rawContext, dynamic bool) (map[string]float64, map[string]string) {
	t.Helper()
	num := make(map[string]float64, len(raw.Numeric))
	cat := make(map[string]string, len(raw.Categorical))
	for k, v := range raw.Numeric {
		f, ok := v.(float64)
		switch {
		case ok && !math.IsNaN(f) && !math.IsInf(f, 0):
			num[k] = f
		case !dynamic:
			t.Fatalf("numeric attribute %q = %#v in a well-typed file", k, v)
		}
	}
	for k, v := range raw.Categorical {
		switch v := v.(type) {
		case string:
			cat[k] = v
		case float64:
			if !dynamic {
				t.Fatalf("categorical attribute %q = %v in a well-typed file", k, v)
			}
			cat[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			if !dynamic {
				t.Fatalf("categorical attribute %q = %v in a well-typed file", k, v)
			}
			cat[k] = strconv.FormatBool(v)
		default:
			if !dynamic {
				t.Fatalf("categorical attribute %q = %#v in a well-typed file", k, v)
			}
		}
	}
	return num, cat
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return strconv.Quote(*s)
}
