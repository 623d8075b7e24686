package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

var ufcDir = filepath.Join("..", "..", "testdata", "sdk-test-data", "ufc")

// scenarioCDN serves one scenario's configuration on the Eppo CDN endpoints, as Eppo's test API does.
type scenarioCDN struct {
	mu       sync.Mutex
	files    map[string][]byte // path → body
	sdkNames map[string]bool   // sdkName query parameters seen
}

func (s *scenarioCDN) serve(t *testing.T, flagsFile, banditsFile string) {
	t.Helper()
	files := map[string][]byte{"/api/flag-config/v1/config": readFile(t, filepath.Join(ufcDir, flagsFile))}
	if banditsFile != "" {
		files["/api/flag-config/v1/bandits"] = readFile(t, filepath.Join(ufcDir, banditsFile))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = files
}

func (s *scenarioCDN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.files[r.URL.Path]
	s.sdkNames[r.URL.Query().Get("sdkName")] = true
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(body)
}

// startRelay serves flagsFile (and banditsFile) from a CDN and runs the relay against it over HTTP.
func startRelay(t *testing.T, flagsFile, banditsFile string) (relayURL string, cdn *scenarioCDN) {
	t.Helper()
	cdn = &scenarioCDN{sdkNames: map[string]bool{}}
	cdn.serve(t, flagsFile, banditsFile)
	cdnSrv := httptest.NewServer(cdn)
	t.Cleanup(cdnSrv.Close)
	r, err := newRelay(core.Config{APIKey: "relay-test-key", BaseURL: cdnSrv.URL + "/api",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := call(t, http.MethodGet, srv.URL+"/", "")
		if code == http.StatusOK {
			return srv.URL, cdn
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("GET / = %d, want 503 then 200", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// response is the relay's envelope.
type response struct {
	Result        json.RawMessage   `json:"result"`
	AssignmentLog []json.RawMessage `json:"assignmentLog"`
	BanditLog     []json.RawMessage `json:"banditLog"`
	Error         *string           `json:"error"`
}

func call(t *testing.T, method, url, body string) (int, response) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out response
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: invalid JSON %q: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode, out
}

func TestRelayConformance(t *testing.T) {
	base, cdn := startRelay(t, "flags-v1.json", "")

	code, details := callRaw(t, http.MethodGet, base+"/sdk/details")
	var d struct {
		SDKName               string `json:"sdkName"`
		SDKVersion            string `json:"sdkVersion"`
		SupportsBandits       bool   `json:"supportsBandits"`
		SupportsDynamicTyping bool   `json:"supportsDynamicTyping"`
	}
	if err := json.Unmarshal(details, &d); err != nil || code != http.StatusOK {
		t.Fatalf("GET /sdk/details = %d %s", code, details)
	}
	cdn.mu.Lock()
	sentName := cdn.sdkNames[d.SDKName] && len(cdn.sdkNames) == 1
	cdn.mu.Unlock()
	if !sentName || d.SDKVersion != core.SDKVersion || !d.SupportsBandits || !d.SupportsDynamicTyping {
		t.Errorf("details %+v; the CDN saw sdkName %v: they must match", d, cdn.sdkNames)
	}

	t.Run("flags", func(t *testing.T) { runAssignmentCases(t, base) })

	// Next scenario, as Eppo's runner does it: the CDN serves the bandit configuration, the relay resets.
	cdn.serve(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	if code, resp := call(t, http.MethodPost, base+"/sdk/reset", ""); code != http.StatusOK || resp.Error != nil {
		t.Fatalf("POST /sdk/reset = %d %+v", code, resp)
	}
	t.Run("bandits", func(t *testing.T) { runBanditCases(t, base) })
}

func runAssignmentCases(t *testing.T, base string) {
	files := glob(t, "tests")
	subjects, logged := 0, 0
	for _, path := range files {
		var tf struct {
			Flag          string          `json:"flag"`
			VariationType string          `json:"variationType"`
			DefaultValue  json.RawMessage `json:"defaultValue"`
			Subjects      []struct {
				SubjectKey        string          `json:"subjectKey"`
				SubjectAttributes json.RawMessage `json:"subjectAttributes"`
				Assignment        json.RawMessage `json:"assignment"`
				EvaluationDetails struct {
					Code         string  `json:"flagEvaluationCode"`
					VariationKey *string `json:"variationKey"`
				} `json:"evaluationDetails"`
			} `json:"subjects"`
		}
		mustUnmarshal(t, readFile(t, path), &tf)
		for _, s := range tf.Subjects {
			subjects++
			where := filepath.Base(path) + "/" + s.SubjectKey
			resp, ok := evaluate(t, where, base+"/flags/v1/assignment", map[string]any{"flag": tf.Flag, "subjectKey": s.SubjectKey,
				"subjectAttributes": s.SubjectAttributes, "assignmentType": tf.VariationType, "defaultValue": tf.DefaultValue})
			if !ok {
				continue
			}
			if !sameJSON(t, resp.Result, s.Assignment) {
				t.Errorf("%s: result %s, want %s", where, resp.Result, s.Assignment)
			}
			for _, raw := range resp.AssignmentLog {
				logged++
				var e core.AssignmentEvent
				mustUnmarshal(t, raw, &e)
				if s.EvaluationDetails.Code != "MATCH" || e.FeatureFlag != tf.Flag || e.Subject != s.SubjectKey ||
					s.EvaluationDetails.VariationKey == nil || e.Variation != *s.EvaluationDetails.VariationKey {
					t.Errorf("%s: logged %s for a %s evaluation", where, raw, s.EvaluationDetails.Code)
				}
			}
			if len(resp.AssignmentLog) > 1 || len(resp.BanditLog) != 0 {
				t.Errorf("%s: logs %d assignments, %d bandit events; want at most one assignment", where,
					len(resp.AssignmentLog), len(resp.BanditLog))
			}
		}
	}
	if logged == 0 {
		t.Error("no assignment was logged over the whole data set")
	}
	t.Logf("%d files, %d subjects, %d assignment events", len(files), subjects, logged)
}

func runBanditCases(t *testing.T, base string) {
	files := glob(t, "bandit-tests")
	subjects := 0
	for _, path := range files {
		var tf struct {
			Flag         string `json:"flag"`
			DefaultValue string `json:"defaultValue"`
			Subjects     []struct {
				SubjectKey        string          `json:"subjectKey"`
				SubjectAttributes json.RawMessage `json:"subjectAttributes"`
				Actions           json.RawMessage `json:"actions"`
				Assignment        struct {
					Variation string  `json:"variation"`
					Action    *string `json:"action"`
				} `json:"assignment"`
			} `json:"subjects"`
		}
		mustUnmarshal(t, readFile(t, path), &tf)
		for _, s := range tf.Subjects {
			subjects++
			where := filepath.Base(path) + "/" + s.SubjectKey
			resp, ok := evaluate(t, where, base+"/bandits/v1/action", map[string]any{"flag": tf.Flag, "subjectKey": s.SubjectKey,
				"subjectAttributes": s.SubjectAttributes, "actions": s.Actions, "defaultValue": tf.DefaultValue})
			if !ok {
				continue
			}
			var got struct {
				Variation string  `json:"variation"`
				Action    *string `json:"action"`
			}
			mustUnmarshal(t, resp.Result, &got)
			if !reflect.DeepEqual(got, s.Assignment) {
				t.Errorf("%s: result %s, want %+v", where, resp.Result, s.Assignment)
			}
			wantEvents := 0
			if s.Assignment.Action != nil {
				wantEvents = 1
			}
			if len(resp.BanditLog) != wantEvents {
				t.Errorf("%s: %d bandit events, want %d", where, len(resp.BanditLog), wantEvents)
			} else if wantEvents == 1 {
				var e core.BanditEvent
				mustUnmarshal(t, resp.BanditLog[0], &e)
				if e.Action != *s.Assignment.Action || e.FlagKey != tf.Flag || e.Subject != s.SubjectKey {
					t.Errorf("%s: bandit event %s", where, resp.BanditLog[0])
				}
			}
		}
	}
	t.Logf("%d files, %d subjects", len(files), subjects)
}

func TestRelayBadRequests(t *testing.T) {
	base, _ := startRelay(t, "flags-v1.json", "")
	for _, tc := range []struct{ path, body string }{
		{"/flags/v1/assignment", `{"flag": "integer-flag"`},
		{"/flags/v1/assignment", `[1, 2]`},
		{"/flags/v1/assignment", `{"flag": "integer-flag", "subjectKey": "a", "assignmentType": "DATE", "defaultValue": 1}`},
		{"/flags/v1/assignment", `{"flag": "integer-flag", "subjectKey": "a", "assignmentType": "INTEGER", "defaultValue": 1.5}`},
		{"/flags/v1/assignment", `{"flag": "kill-switch", "subjectKey": "a", "assignmentType": "BOOLEAN", "defaultValue": "yes"}`},
		{"/flags/v1/assignment", `{"flag": "integer-flag", "subjectKey": "a", "subjectAttributes": [1], "assignmentType": "INTEGER", "defaultValue": 1}`},
		{"/bandits/v1/action", `{"flag": "banner_bandit_flag", "subjectKey": "a", "defaultValue": "d",
			"actions": [{"actionKey": "nike"}, {"actionKey": "nike"}]}`},
		{"/bandits/v1/action", `{"flag": "banner_bandit_flag", "actions": {"nike": {}}}`},
		{"/bandits/v1/action", strings.Repeat(" ", 2<<20) + "{}"},
	} {
		code, resp := call(t, http.MethodPost, base+tc.path, tc.body)
		if code != http.StatusBadRequest || resp.Error == nil || *resp.Error == "" {
			t.Errorf("POST %s %.60q = %d %+v, want 400 with an error", tc.path, tc.body, code, resp)
		}
	}
	if code, _ := call(t, http.MethodGet, base+"/flags/v1/assignment", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /flags/v1/assignment = %d, want 405", code)
	}
	// The relay still answers after all that.
	body := `{"flag": "integer-flag", "subjectKey": "alice", "subjectAttributes": {"email": "alice@mycompany.com", "country": "US"},
		"assignmentType": "INTEGER", "defaultValue": 0}`
	if code, resp := call(t, http.MethodPost, base+"/flags/v1/assignment", body); code != http.StatusOK || string(resp.Result) != "3" {
		t.Errorf("after bad requests: %d %s", code, resp.Result)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, addr, err := configFromEnv(env(map[string]string{"EPPO_API_KEY": "k", "EPPO_BASE_URL": "http://127.0.0.1:8080/api"}))
	if err != nil || addr != "127.0.0.1:7001" || cfg.APIKey != "k" || cfg.BaseURL != "http://127.0.0.1:8080/api" {
		t.Errorf("defaults: %v %q %v", cfg, addr, err)
	}
	_, addr, err = configFromEnv(env(map[string]string{"EPPO_API_KEY": "k", "SDK_RELAY_HOST": "::1", "SDK_RELAY_PORT": "9000"}))
	if err != nil || addr != "[::1]:9000" {
		t.Errorf("host and port: %q %v", addr, err)
	}
	for _, bad := range []map[string]string{{}, {"EPPO_API_KEY": "k", "SDK_RELAY_PORT": "http"}, {"EPPO_API_KEY": "k", "SDK_RELAY_PORT": "70000"}} {
		if _, _, err := configFromEnv(env(bad)); err == nil {
			t.Errorf("configFromEnv(%v) accepted it", bad)
		}
	}
	if _, err := newRelay(core.Config{APIKey: "k", BaseURL: "not a url"}); err == nil {
		t.Error("newRelay accepted an invalid EPPO_BASE_URL")
	}
}

// evaluate posts one conformance case and reports whether the relay answered 200 without an error.
func evaluate(t *testing.T, where, url string, request map[string]any) (response, bool) {
	t.Helper()
	b, err := json.Marshal(request)
	if err != nil {
		t.Fatal(err)
	}
	code, resp := call(t, http.MethodPost, url, string(b))
	if code != http.StatusOK || resp.Error != nil {
		t.Errorf("%s: status %d, error %v", where, code, resp.Error)
		return resp, false
	}
	return resp, true
}

func glob(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(ufcDir, dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance files in %s: %v", filepath.Join(ufcDir, dir), err)
	}
	return files
}

func callRaw(t *testing.T, method, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	mustUnmarshal(t, a, &x)
	mustUnmarshal(t, b, &y)
	return reflect.DeepEqual(x, y)
}
