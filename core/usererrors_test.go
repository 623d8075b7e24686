package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// assertReadable fails when an error message repeats the package prefix or shows Go plumbing.
func assertReadable(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	msg := err.Error()
	if n := strings.Count(msg, "eppokit:"); n > 1 {
		t.Errorf("%s: %q repeats the eppokit: prefix %d times", what, msg, n)
	}
	for _, plumbing := range []string{"cdn:", "bandit:", "json:", "Go value", "Go struct", "core.", "wire", "map[", "interface {}",
		"internal error", "runtime error", `Get "`} {
		if strings.Contains(msg, plumbing) {
			t.Errorf("%s: %q shows plumbing (%q)", what, msg, plumbing)
		}
	}
}

// bothLoggers implements AssignmentLogger and BanditLogger, like batching.Processor does.
type bothLoggers struct{ recordingLogger }

func TestBanditEventsGoToAnAssignmentLoggerThatIsAlsoABanditLogger(t *testing.T) {
	flags := readFile(t, filepath.Join(ufcDir(t), "bandit-flags-v1.json"))
	models := readFile(t, filepath.Join(ufcDir(t), "bandit-models-v1.json"))
	cfg, err := NewConfiguration(flags, models)
	if err != nil {
		t.Fatal(err)
	}
	both := &bothLoggers{}
	c, err := NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: both})
	if err != nil {
		t.Fatal(err)
	}
	r := chooseAction(t, c)
	if len(both.bandits) != 1 || both.bandits[0].Action != *r.Action {
		t.Fatalf("bandit events through the assignment logger: %+v, want the one chosen (%s)", both.bandits, *r.Action)
	}

	// An explicit BanditLogger still wins.
	explicit := &recordingLogger{}
	both = &bothLoggers{}
	c, err = NewClient(Config{InitialConfiguration: cfg, AssignmentLogger: both, BanditLogger: explicit})
	if err != nil {
		t.Fatal(err)
	}
	chooseAction(t, c)
	if len(explicit.bandits) != 1 || len(both.bandits) != 0 {
		t.Fatalf("explicit BanditLogger got %d events, the assignment logger %d; want 1 and 0", len(explicit.bandits), len(both.bandits))
	}
}

// chooseAction asks for banner_bandit_flag until a subject gets an action, and returns that result.
func chooseAction(t *testing.T, c *Client) BanditResult {
	t.Helper()
	for i := range 100 {
		r, err := c.GetBanditAction("banner_bandit_flag", fmt.Sprint("subject-", i), ContextAttributes{}, someActions(), "default")
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != nil {
			return r
		}
	}
	t.Fatal("no subject got an action")
	return BanditResult{}
}

func TestNilClientReturnsErrNotInitialized(t *testing.T) {
	var c *Client
	if v, err := c.GetStringAssignment("f", "s", nil, "def"); v != "def" || !errors.Is(err, ErrNotInitialized) {
		t.Errorf("GetStringAssignment = %q, %v", v, err)
	} else {
		assertReadable(t, "GetStringAssignment", err)
		if !strings.Contains(err.Error(), `flag "f"`) || !strings.Contains(err.Error(), "the client is nil") {
			t.Errorf("error %q does not name the flag and the cause", err)
		}
	}
	if v, d, err := c.GetIntegerAssignmentDetails("f", "s", nil, 7); v != 7 || !errors.Is(err, ErrNotInitialized) ||
		d.FlagEvaluationCode != CodeConfigurationMissing {
		t.Errorf("GetIntegerAssignmentDetails = %d, %s, %v", v, d.FlagEvaluationCode, err)
	}
	if r, err := c.GetBanditAction("f", "s", ContextAttributes{}, someActions(), "def"); r.Variation != "def" || r.Action != nil ||
		!errors.Is(err, ErrNotInitialized) {
		t.Errorf("GetBanditAction = %+v, %v", r, err)
	}
	if _, _, err := c.GetBanditActionDetails("f", "s", ContextAttributes{}, nil, "def"); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("GetBanditActionDetails: %v", err)
	}
	if err := c.WaitForInitialization(context.Background()); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("WaitForInitialization = %v", err)
	} else {
		assertReadable(t, "WaitForInitialization", err)
	}
	if err := c.Close(context.Background()); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Close = %v", err)
	}
	// The methods without an error answer with zero values and do nothing.
	c.SetConfiguration(loadClient(t, "flags-v1.json", "").Configuration())
	c.OnConfigurationChange(func(_, _ ConfigurationInfo) {})
	if c.Configuration() != nil || c.Stats().Polling || c.ConfigurationInfo().Source != SourceNone || c.LoggerPanics() != 0 {
		t.Error("a nil client reported state")
	}
}

func TestUnauthorizedErrorSaysItOnce(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(status(http.StatusUnauthorized))
	c, _ := newPollingClient(t, cdn, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.WaitForInitialization(ctx)
	want := "eppokit: no configuration: the CDN rejected the API key (GET /flag-config/v1/config: HTTP 401 Unauthorized); configuration polling stopped"
	if !errors.Is(err, ErrUnauthorized) || err.Error() != want {
		t.Errorf("WaitForInitialization = %v\nwant %s", err, want)
	}
	assertReadable(t, "WaitForInitialization", err)
	assertReadable(t, "Stats.StoppedBy", c.Stats().StoppedBy)
}

func TestFetchAndParseErrorsSayItOnce(t *testing.T) {
	cdn := newFakeCDN(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	cdn.setBandits([]byte(`{"bandits": []}`), `"bad"`)
	c, _ := newPollingClient(t, cdn, nil)
	eventually(t, "a failed round", func() bool { return c.Stats().Failures > 0 })
	err := c.Stats().LastError
	want := `eppokit: bandit models from the CDN rejected; the previous configuration keeps serving: "bandits" is an array, want an object`
	if !errors.Is(err, ErrInvalidConfiguration) || err.Error() != want {
		t.Errorf("LastError = %v\nwant %s", err, want)
	}
	assertReadable(t, "LastError (bandit models)", err)

	cdn.setBandits(readFile(t, filepath.Join(ufcDir(t), "bandit-models-v1.json")), `"good"`)
	cdn.setFail(status(http.StatusInternalServerError))
	eventually(t, "a 500", func() bool {
		err := c.Stats().LastError
		return err != nil && strings.Contains(err.Error(), "500")
	})
	err = c.Stats().LastError
	if want := "eppokit: GET /flag-config/v1/config: HTTP 500 Internal Server Error"; err.Error() != want {
		t.Errorf("LastError = %v, want %s", err, want)
	}
	assertReadable(t, "LastError (500)", err)

	cdn.setFail(nil)
	cdn.setFlags([]byte(`{"flags": []}`), `"flags-bad"`)
	eventually(t, "a rejected flags document", func() bool {
		err := c.Stats().LastError
		return err != nil && strings.Contains(err.Error(), "flags configuration")
	})
	err = c.Stats().LastError
	if want := `eppokit: flags configuration from the CDN rejected; the previous one keeps serving: invalid configuration: flags configuration: "flags" is an array, want an object`; err.Error() != want {
		t.Errorf("LastError = %v\nwant %s", err, want)
	}
	assertReadable(t, "LastError (flags)", err)
}

func TestConfigurationErrorsSayItOnce(t *testing.T) {
	for _, tc := range []struct {
		name           string
		flags, bandits string
		want           string
	}{
		{"bandits not an object", `{"flags": {}}`, `{"bandits": []}`,
			`eppokit: invalid configuration: bandit models: "bandits" is an array, want an object`},
		{"bandit models not JSON", `{"flags": {}}`, `[]`,
			`eppokit: invalid configuration: bandit models: the response is not a JSON object`},
		{"flags document an array", `[]`, ``,
			`eppokit: invalid configuration: flags configuration: the value is an array, want an object`},
		{"flags malformed", `{"flags": {`, ``,
			`eppokit: invalid configuration: flags configuration: malformed JSON at byte 11: unexpected end of JSON input`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bandits []byte
			if tc.bandits != "" {
				bandits = []byte(tc.bandits)
			}
			_, err := NewConfiguration([]byte(tc.flags), bandits)
			if !errors.Is(err, ErrInvalidConfiguration) || err.Error() != tc.want {
				t.Errorf("NewConfiguration = %v\nwant %s", err, tc.want)
			}
			assertReadable(t, tc.name, err)
		})
	}
}

// A flag of the wrong shape, a condition of the wrong type or a variation whose value does not fit is
// reported by flag and cause, in JSON terms.
func TestFlagErrorsNameTheFlagAndTheCause(t *testing.T) {
	cfg, err := NewConfiguration([]byte(`{"flags": {
		"shape": {"key": "shape", "enabled": "yes", "variationType": "STRING"},
		"pattern": {"key": "pattern", "enabled": true, "variationType": "STRING", "variations": {"a": {"key": "a", "value": "A"}},
			"allocations": [{"key": "x", "rules": [{"conditions": [{"attribute": "e", "operator": "MATCHES", "value": 5}]}],
				"splits": [{"variationKey": "a", "shards": []}]}]},
		"list": {"key": "list", "enabled": true, "variationType": "STRING", "variations": {"a": {"key": "a", "value": "A"}},
			"allocations": [{"key": "x", "rules": [{"conditions": [{"attribute": "e", "operator": "ONE_OF", "value": ["a", {"b": 1}]}]}],
				"splits": [{"variationKey": "a", "shards": []}]}]},
		"value": {"key": "value", "enabled": true, "variationType": "STRING", "variations": {"a": {"key": "a", "value": 5}},
			"allocations": [{"key": "x", "splits": [{"variationKey": "a", "shards": []}]}]}
	}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := cfg.FlagErrors()
	want := map[string]string{
		"shape":   `eppokit: flag configuration error: flag "shape": malformed flag: "enabled" is a string, want a boolean`,
		"pattern": `eppokit: flag configuration error: flag "pattern": allocation "x": MATCHES on attribute "e" needs a string pattern: the value is a number, want a string`,
		"list":    `eppokit: flag configuration error: flag "list": allocation "x": ONE_OF on attribute "e" needs an array of strings: item 1 is an object`,
	}
	for flag, msg := range want {
		if got := errs[flag]; got == nil || got.Error() != msg {
			t.Errorf("FlagErrors()[%s] = %v\nwant %s", flag, got, msg)
		} else {
			assertReadable(t, flag, got)
		}
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	_, err = c.GetStringAssignment("value", "s", nil, "def")
	if want := `eppokit: flag configuration error: flag "value": variation "a" is configured for type STRING, but is set to incompatible value (5): the value is a number, want a string`; err == nil || err.Error() != want {
		t.Errorf("selecting a variation of the wrong type: %v\nwant %s", err, want)
	}
	assertReadable(t, "variation of the wrong type", err)
}

// FlagErrors lists a split that names an undefined variation; the flag keeps serving its other splits.
func TestFlagErrorsListUndefinedVariations(t *testing.T) {
	cfg, err := NewConfiguration([]byte(`{"flags": {"f": {"key": "f", "enabled": true, "variationType": "STRING",
		"variations": {"on": {"key": "on", "value": "on"}},
		"allocations": [
			{"key": "vip", "rules": [{"conditions": [{"attribute": "vip", "operator": "IS_NULL", "value": false}]}],
				"splits": [{"variationKey": "gold", "shards": []}]},
			{"key": "everyone", "splits": [{"variationKey": "on", "shards": []}]}]}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.FlagErrors()["f"]
	want := `eppokit: flag configuration error: flag "f": allocation "vip": a split names variation "gold", which is not defined`
	if !errors.Is(got, ErrFlagConfiguration) || got.Error() != want {
		t.Fatalf("FlagErrors()[f] = %v\nwant %s", got, want)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	if v, err := c.GetStringAssignment("f", "s", nil, "def"); v != "on" || err != nil {
		t.Errorf("a subject the dangling split does not select: %q, %v; want on", v, err)
	}
	if v, err := c.GetStringAssignment("f", "s", Attributes{"vip": true}, "def"); v != "def" || !errors.Is(err, ErrFlagConfiguration) {
		t.Errorf("a subject the dangling split selects: %q, %v; want the default and ErrFlagConfiguration", v, err)
	}
}

// A default variation that names a bandit stands in for a failed flag; when its model is missing as well,
// one error carries both causes.
func TestBanditErrorAfterAFlagErrorSaysBothOnce(t *testing.T) {
	flags := readFile(t, filepath.Join(ufcDir(t), "bandit-flags-v1.json"))
	cfg, err := NewConfiguration(flags, []byte(`{"bandits": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	r, err := c.GetBanditAction("banner_bandit_flag", "alice", ContextAttributes{}, someActions(), "banner_bandit")
	if r.Variation != "banner_bandit" || r.Action != nil || !errors.Is(err, ErrBandit) {
		t.Fatalf("GetBanditAction = %+v, %v; want the bandit variation, no action, ErrBandit", r, err)
	}
	assertReadable(t, "bandit error", err)
	// A subject outside every allocation: the flag's error too.
	for i := range 500 {
		subject := fmt.Sprint("user-", i)
		if _, ferr := c.GetStringAssignment("banner_bandit_flag", subject, nil, "x"); !errors.Is(ferr, ErrNoAllocation) {
			continue
		}
		_, err := c.GetBanditAction("banner_bandit_flag", subject, ContextAttributes{}, someActions(), "banner_bandit")
		want := `eppokit: bandit error: flag "banner_bandit_flag": bandit "banner_bandit": model not found (after: subject is not part of any allocation: flag "banner_bandit_flag")`
		if !errors.Is(err, ErrBandit) || !errors.Is(err, ErrNoAllocation) || err.Error() != want {
			t.Errorf("GetBanditAction = %v\nwant %s", err, want)
		}
		assertReadable(t, "bandit error after a flag error", err)
		return
	}
	t.Fatal("no subject outside every allocation")
}
