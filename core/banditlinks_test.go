package core

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The bandit flags of ufc/bandit-flags-v1.json, and the bandit each one links to.
var banditFlags = map[string]string{
	"banner_bandit_flag":         "banner_bandit",
	"banner_bandit_flag_uk_only": "banner_bandit",
	"car_bandit_flag":            "car_bandit",
	"cold_start_bandit_flag":     "cold_start_bandit",
}

// One bandit link of the wrong shape disables the flags it links, with an error naming the cause; every
// other flag, bandit or not, still serves.
func TestBadBanditLinkDisablesOnlyWhatItTouches(t *testing.T) {
	dir := ufcDir(t)
	flags := readFile(t, filepath.Join(dir, "bandit-flags-v1.json"))
	models := readFile(t, filepath.Join(dir, "bandit-models-v1.json"))
	section := func(m map[string]any, name string) map[string]any { return m[name].(map[string]any) }
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		broken []string // flags expected in FlagErrors
		cause  string   // in each broken flag's error
	}{
		{"legacy entry with a number for variationValue", func(m map[string]any) {
			section(m, "bandits")["banner_bandit"].([]any)[0].(map[string]any)["variationValue"] = 5
		}, []string{"banner_bandit_flag"}, `bandit link bandits["banner_bandit"][0]: "variationValue" is a number, want a string`},
		{"legacy list that is a string", func(m map[string]any) {
			section(m, "bandits")["car_bandit"] = "car_bandit_flag"
		}, []string{"car_bandit_flag"}, `bandit link bandits["car_bandit"]: the value is a string, want an array`},
		{"reference with a numeric modelVersion", func(m map[string]any) {
			section(m, "banditReferences")["cold_start_bandit"].(map[string]any)["modelVersion"] = 7
		}, []string{"cold_start_bandit_flag"}, `bandit link banditReferences["cold_start_bandit"]: modelVersion: the value is a number, want a string`},
		{"reference that is an array", func(m map[string]any) {
			section(m, "banditReferences")["banner_bandit"] = []any{}
		}, []string{"banner_bandit_flag", "banner_bandit_flag_uk_only"}, `bandit link banditReferences["banner_bandit"]: the value is an array, want an object`},
		{"legacy section of the wrong shape", func(m map[string]any) {
			m["bandits"] = "none"
		}, []string{"banner_bandit_flag", "banner_bandit_flag_uk_only", "car_bandit_flag", "cold_start_bandit_flag"},
			`bandit links: the "bandits" section: the value is a string, want an object`},
		{"the only link section, an entry without its flag", func(m map[string]any) {
			delete(m, "banditReferences")
			section(m, "bandits")["car_bandit"] = []any{42}
		}, []string{"car_bandit_flag"}, `bandit link bandits["car_bandit"][0]: the value is a number, want an object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := NewConfiguration(editJSON(t, flags, tc.edit), models)
			if err != nil {
				t.Fatalf("NewConfiguration rejected the whole configuration: %v", err)
			}
			errs := cfg.FlagErrors()
			var got []string
			for flag := range errs {
				got = append(got, flag)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.broken) {
				t.Fatalf("FlagErrors lists %v, want %v", got, tc.broken)
			}
			rec := &recordingLogger{}
			c, err := NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: rec})
			if err != nil {
				t.Fatal(err)
			}
			for _, flag := range tc.broken {
				want := fmt.Sprintf(`eppokit: flag configuration error: flag %q: %s`, flag, tc.cause)
				if errs[flag].Error() != want {
					t.Errorf("FlagErrors()[%s] = %v\nwant %s", flag, errs[flag], want)
				}
				r, err := c.GetBanditAction(flag, "alice", ContextAttributes{}, someActions(), "default")
				if r.Variation != "default" || r.Action != nil || !errors.Is(err, ErrFlagConfiguration) || !strings.Contains(err.Error(), tc.cause) {
					t.Errorf("%s: %+v, %v; want the default, no action and the cause", flag, r, err)
				}
			}
			// The bandit flags left alone still choose actions, and plain flags still serve.
			for flag := range banditFlags {
				if slices.Contains(tc.broken, flag) || flag == "banner_bandit_flag_uk_only" { // uk_only needs country UK
					continue
				}
				if !someSubjectGetsAnAction(c, flag) {
					t.Errorf("%s: no subject got an action, though its link is intact", flag)
				}
			}
			if v, err := c.GetStringAssignment("non_bandit_flag", "alice", Attributes{"country": "USA"}, "default"); err != nil || v == "default" {
				t.Errorf("non_bandit_flag = %q, %v; want a variation", v, err)
			}
		})
	}
}

func someSubjectGetsAnAction(c *Client, flag string) bool {
	for i := range 200 {
		r, err := c.GetBanditAction(flag, fmt.Sprint("s", i), ContextAttributes{}, someActions(), "default")
		if err == nil && r.Action != nil {
			return true
		}
	}
	return false
}
