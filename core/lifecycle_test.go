package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLifecycleFetchesFromCDN(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	c, _ := newPollingClient(t, cdn, nil)
	if err := c.WaitForInitialization(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetIntegerAssignment("integer-flag", "alice", Attributes{"email": "alice@mycompany.com", "country": "US"}, 0); err != nil || v != 3 {
		t.Errorf("integer-flag for alice = %d, %v; want 3 from the fetched configuration", v, err)
	}
	reqs := cdn.seen("")
	if len(reqs) == 0 || !strings.HasSuffix(reqs[0].path, flagsPath) {
		t.Fatalf("first request = %+v, want GET /api%s", reqs, flagsPath)
	}
	q := reqs[0].query
	if q.Get("apiKey") != testAPIKey || q.Get("sdkName") != SDKName || q.Get("sdkVersion") != SDKVersion {
		t.Errorf("query = %v, want apiKey, sdkName=%s, sdkVersion=%s", q, SDKName, SDKVersion)
	}
	if n := len(cdn.seen(banditsPath)); n != 0 {
		t.Errorf("%d bandit requests for flags that reference no bandit, want 0", n)
	}
	info := c.ConfigurationInfo()
	if info.Source != SourceCDN || info.ETag != `"flags-1"` || info.Environment != "Test" ||
		info.Flags != len(c.Configuration().FlagKeys()) || info.Flags == 0 || info.Bandits != 0 || info.InstalledAt.IsZero() {
		t.Errorf("ConfigurationInfo = %+v", info)
	}
}

func TestLifecycleETagAndGzip(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	var changes atomic.Int32
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	waitInit(t, c)
	c.OnConfigurationChange(func(_, _ ConfigurationInfo) { changes.Add(1) })
	eventually(t, "three more polls", func() bool { return len(cdn.seen(flagsPath)) >= 4 })

	reqs := cdn.seen(flagsPath)
	if reqs[0].ifNoneMatch != "" || !reqs[0].gzipped {
		t.Errorf("first request: If-None-Match %q, gzipped %v; want none and a gzip answer", reqs[0].ifNoneMatch, reqs[0].gzipped)
	}
	for _, r := range reqs[1:] {
		if r.ifNoneMatch != `"flags-1"` {
			t.Errorf("later request sent If-None-Match %q, want the last ETag", r.ifNoneMatch)
		}
	}
	s := c.Stats()
	if s.Updates != 1 || s.Unchanged < 2 || s.Failures != 0 {
		t.Errorf("stats = %+v, want 1 update, the rest unchanged (304)", s)
	}
	if n := changes.Load(); n != 0 {
		t.Errorf("listener called %d times for 304 answers, want 0", n)
	}
}

func TestLifecycleSameBodyWithoutETagIsUnchanged(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFlags(cdn.flags, "") // a CDN that sends no ETag: every answer is a full 200
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	waitInit(t, c)
	first := c.Configuration()
	eventually(t, "three more polls", func() bool { return c.Stats().Fetches >= 4 })
	if c.Configuration() != first || c.Stats().Updates != 1 {
		t.Errorf("an identical body replaced the configuration: stats %+v", c.Stats())
	}
}

func TestLifecycleServerErrorThenRecovers(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	var failures atomic.Int32
	cdn.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		if failures.Add(1) <= 3 {
			return status(http.StatusInternalServerError)(w, r)
		}
		return false
	})
	c, logs := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 20 * time.Millisecond })
	waitInit(t, c)
	s := c.Stats()
	if s.Failures != 3 || s.Updates != 1 || s.ConsecutiveFailures != 0 || s.LastError == nil ||
		!strings.Contains(s.LastError.Error(), "500") || s.LastErrorAt.After(s.LastSuccess) {
		t.Errorf("stats after 3 failures and a success = %+v", s)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("failed polls were not logged:\n%s", logs)
	}
}

func TestLifecycleKeepsLastGoodConfiguration(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	waitInit(t, c)
	good := c.Configuration()

	t.Run("server errors", func(t *testing.T) {
		cdn.setFail(status(http.StatusBadGateway))
		before := c.Stats().Failures
		eventually(t, "two failed polls", func() bool { return c.Stats().Failures >= before+2 })
		if c.Configuration() != good {
			t.Error("a failed fetch replaced the configuration")
		}
		cdn.setFail(nil)
	})
	t.Run("corrupt body", func(t *testing.T) {
		cdn.setFlags([]byte(`{"flags": {"x": `), `"corrupt"`)
		eventually(t, "the corrupt body to be rejected", func() bool {
			return errors.Is(c.Stats().LastError, ErrInvalidConfiguration)
		})
		if c.Configuration() != good || c.ConfigurationInfo().ETag != `"flags-1"` {
			t.Errorf("a corrupt configuration replaced the good one: %+v", c.ConfigurationInfo())
		}
		if v, _ := c.GetIntegerAssignment("integer-flag", "alice", Attributes{"email": "alice@mycompany.com", "country": "US"}, 0); v != 3 {
			t.Errorf("serving %d after a corrupt fetch, want 3 from the last good configuration", v)
		}
		// After a rejected body the client must not send its ETag (a 304 would hide the fix).
		n := len(cdn.seen(flagsPath))
		eventually(t, "another poll", func() bool { return len(cdn.seen(flagsPath)) > n+1 })
		if last := cdn.seen(flagsPath)[n+1]; last.ifNoneMatch == `"corrupt"` {
			t.Error("the client sent the ETag of a body it rejected")
		}
	})
	t.Run("fixed body", func(t *testing.T) {
		fixed := editJSON(t, readFile(t, ufcDir(t)+"/flags-v1.json"), func(m map[string]any) { m["createdAt"] = "2030-01-01T00:00:00Z" })
		cdn.setFlags(fixed, `"flags-2"`)
		eventually(t, "the fixed configuration", func() bool { return c.ConfigurationInfo().ETag == `"flags-2"` })
	})
}

func TestLifecycleUnauthorizedStopsPolling(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(status(http.StatusUnauthorized))
	c, logs := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.WaitForInitialization(ctx)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("WaitForInitialization = %v, want ErrUnauthorized", err)
	}
	assertNoAPIKey(t, "the error", err.Error())
	s := c.Stats()
	if s.Polling || !errors.Is(s.StoppedBy, ErrUnauthorized) {
		t.Errorf("stats = %+v, want polling stopped by ErrUnauthorized", s)
	}
	n := len(cdn.seen(""))
	time.Sleep(50 * time.Millisecond) // five intervals: a running poller would have asked again
	if m := len(cdn.seen("")); m != n || n != 1 {
		t.Errorf("%d requests, then %d: want exactly 1, polling stopped", n, m)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "401") {
		t.Errorf("no clear error logged:\n%s", logs)
	}
	if v, err := c.GetStringAssignment("kill-switch", "a", nil, "def"); v != "def" || !errors.Is(err, ErrNotInitialized) {
		t.Errorf("assignment without configuration = %q, %v", v, err)
	}
}

func TestLifecycleHungCDN(t *testing.T) {
	initial := loadClient(t, "flags-v1.json", "").Configuration()
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(cdn.hang)
	base := runtime.NumGoroutine()
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.InitialConfiguration = initial })

	if err := c.WaitForInitialization(context.Background()); err != nil {
		t.Fatalf("WaitForInitialization with an InitialConfiguration = %v", err)
	}
	if v, err := c.GetIntegerAssignment("integer-flag", "alice", Attributes{"email": "alice@mycompany.com", "country": "US"}, 0); v != 3 || err != nil {
		t.Errorf("serving %d, %v from the initial configuration, want 3", v, err)
	}
	if info := c.ConfigurationInfo(); info.Source != SourceInitial {
		t.Errorf("info = %+v, want the initial configuration", info)
	}
	eventually(t, "the fetch to hang", func() bool { return len(cdn.seen("")) == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close during a hung fetch: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v during a hung fetch", d)
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if n := settledGoroutines(base); n > base {
		t.Errorf("%d goroutines after Close, %d before the client", n, base)
	}
}

func TestLifecycleWaitTimesOutWithLastError(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(status(http.StatusServiceUnavailable))
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	eventually(t, "a failure", func() bool { return c.Stats().Failures > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := c.WaitForInitialization(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "503") {
		t.Errorf("WaitForInitialization = %v, want the deadline and the last fetch error", err)
	}
}

func TestLifecycleChangeAndListeners(t *testing.T) {
	const interval = 200 * time.Millisecond
	cdn := newFakeCDN(t, "flags-v1.json", "")
	c, logs := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = interval })
	waitInit(t, c)

	type call struct{ old, new ConfigurationInfo }
	var mu sync.Mutex
	var calls []call
	c.OnConfigurationChange(func(_, _ ConfigurationInfo) { panic("listener bug " + testAPIKey) })
	c.OnConfigurationChange(func(old, new ConfigurationInfo) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{old, new})
	})

	changed := editJSON(t, cdn.flags, func(m map[string]any) { m["environment"] = map[string]any{"name": "Staging"} })
	before := len(cdn.seen(flagsPath)) // requests recorded so far were answered from the old flags
	cdn.setFlags(changed, `"flags-2"`)
	eventually(t, "the listener", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) > 0 })
	eventually(t, "two more polls", func() bool { return len(cdn.seen(flagsPath)) >= before+3 })

	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("listener called %d times for one change, want 1", len(calls))
	}
	got := calls[0]
	if got.old.ETag != `"flags-1"` || got.new.ETag != `"flags-2"` || got.old.Environment != "Test" ||
		got.new.Environment != "Staging" || got.new.Source != SourceCDN {
		t.Errorf("listener saw old %+v new %+v", got.old, got.new)
	}
	// The first poll after the change (within one interval) downloaded it; every later poll sent its ETag.
	after := cdn.seen(flagsPath)[before:]
	for i, r := range after {
		if want := map[bool]string{true: `"flags-1"`, false: `"flags-2"`}[i == 0]; r.ifNoneMatch != want {
			t.Errorf("poll %d after the change sent If-None-Match %s, want %s", i+1, r.ifNoneMatch, want)
		}
	}
	if s := c.Stats(); s.Failures != 0 || s.Updates != 2 {
		t.Errorf("stats = %+v, want two updates and no failure", s)
	}
	if c.Configuration().Environment() != "Staging" {
		t.Error("the new configuration is not served")
	}
	if !strings.Contains(logs.String(), "listener panicked") {
		t.Errorf("the panicking listener was not reported:\n%s", logs)
	}
}

func TestSetConfigurationNotifiesListeners(t *testing.T) {
	c := loadClient(t, "flags-v1.json", "")
	if info := c.ConfigurationInfo(); info.Source != SourceInitial || info.Flags == 0 {
		t.Errorf("initial info = %+v", info)
	}
	got := make(chan [2]ConfigurationInfo, 2)
	c.OnConfigurationChange(func(old, new ConfigurationInfo) { got <- [2]ConfigurationInfo{old, new} })
	c.OnConfigurationChange(nil)
	cfg := loadClient(t, "bandit-flags-v1.json", "bandit-models-v1.json").Configuration()
	c.SetConfiguration(cfg)
	select {
	case pair := <-got:
		if pair[0].Source != SourceInitial || pair[1].Source != SourceManual || pair[1].Bandits != 3 {
			t.Errorf("listener saw %+v → %+v", pair[0], pair[1])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("listener not called after SetConfiguration")
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycleBanditsFetchedOnlyForNewVersions(t *testing.T) {
	cdn := newFakeCDN(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	waitInit(t, c)
	if info := c.ConfigurationInfo(); info.Bandits != 3 || info.BanditsETag != `"bandits-1"` {
		t.Fatalf("info = %+v, want 3 bandit models", info)
	}
	if n := len(cdn.seen(banditsPath)); n != 1 {
		t.Fatalf("%d bandit requests, want 1", n)
	}
	flags, models := cdn.flags, cdn.bandits
	setVersion := func(doc []byte, refs bool, version string) []byte {
		return editJSON(t, doc, func(m map[string]any) {
			if refs {
				m["banditReferences"].(map[string]any)["banner_bandit"].(map[string]any)["modelVersion"] = version
			} else {
				m["bandits"].(map[string]any)["banner_bandit"].(map[string]any)["modelVersion"] = version
			}
		})
	}

	// The flags change but reference the same model versions: no bandit request.
	cdn.setFlags(editJSON(t, flags, func(m map[string]any) { m["createdAt"] = "2030-01-01T00:00:00Z" }), `"flags-2"`)
	eventually(t, "the new flags", func() bool { return c.ConfigurationInfo().ETag == `"flags-2"` })
	if n := len(cdn.seen(banditsPath)); n != 1 {
		t.Errorf("%d bandit requests after a flags change that kept the model versions, want 1", n)
	}
	if c.Configuration().BanditModelVersions()["banner_bandit"] != "123" {
		t.Error("the models were dropped when the flags changed")
	}

	// The flags reference version 124 before the bandit endpoint has it: the old models serve, and the
	// client asks again on later rounds although the flags are unchanged (304).
	cdn.setFlags(setVersion(flags, true, "124"), `"flags-3"`)
	eventually(t, "the flags referencing 124", func() bool { return c.ConfigurationInfo().ETag == `"flags-3"` })
	n := len(cdn.seen(banditsPath))
	eventually(t, "the lagging models to be asked for again", func() bool { return len(cdn.seen(banditsPath)) >= n+2 })
	cdn.setBandits(setVersion(models, false, "124"), `"bandits-2"`)
	eventually(t, "model version 124", func() bool {
		return c.Configuration().BanditModelVersions()["banner_bandit"] == "124"
	})
	if info := c.ConfigurationInfo(); info.ETag != `"flags-3"` || info.BanditsETag != `"bandits-2"` {
		t.Errorf("info = %+v", info)
	}
	n = len(cdn.seen(banditsPath))
	f := c.Stats().Fetches
	eventually(t, "more polls", func() bool { return c.Stats().Fetches >= f+3 })
	if m := len(cdn.seen(banditsPath)); m != n {
		t.Errorf("%d more bandit requests once the versions matched, want 0", m-n)
	}
}

func TestLifecycleBanditFailureKeepsWholeConfiguration(t *testing.T) {
	cdn := newFakeCDN(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	c, _ := newPollingClient(t, cdn, func(cfg *Config) { cfg.PollInterval = 10 * time.Millisecond })
	waitInit(t, c)
	good := c.Configuration()
	cdn.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, banditsPath) && status(http.StatusInternalServerError)(w, r)
	})
	cdn.setFlags(editJSON(t, cdn.flags, func(m map[string]any) {
		m["banditReferences"].(map[string]any)["car_bandit"].(map[string]any)["modelVersion"] = "457"
	}), `"flags-2"`)
	eventually(t, "two failed rounds", func() bool { return c.Stats().Failures >= 2 })
	if c.Configuration() != good {
		t.Error("new flags were installed although their bandit models failed to download")
	}
	cdn.setFail(nil)
	eventually(t, "the new flags", func() bool { return c.ConfigurationInfo().ETag == `"flags-2"` })
}

// TestLifecycleJitterSpreadsPolls starts 100 clients together and looks at the time between each one's
// first fetch and its first poll. That time is the jittered wait plus processing delays, which only
// lengthen it: without jitter no client could poll again sooner than the interval, and with it none may
// poll sooner than interval - jitter. Under heavy load delays grow, so the test asks only that a tenth
// of the clients came back early (uniform jitter plus modest delays gives about half).
func TestLifecycleJitterSpreadsPolls(t *testing.T) {
	const (
		clients  = 100
		interval = 400 * time.Millisecond
		jitter   = 200 * time.Millisecond
	)
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFlags([]byte(`{"environment": {"name": "Test"}, "flags": {}}`), `"tiny"`) // keep parsing out of the timing
	logger := slog.New(slog.DiscardHandler)
	for i := range clients {
		c, err := NewClient(Config{APIKey: fmt.Sprintf("key-%d", i), BaseURL: cdn.baseURL(),
			PollInterval: interval, PollJitter: jitter, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
	}
	perClient := func() map[string][]time.Time {
		m := map[string][]time.Time{}
		for _, r := range cdn.seen(flagsPath) {
			m[r.query.Get("apiKey")] = append(m[r.query.Get("apiKey")], r.at)
		}
		return m
	}
	eventually(t, "every client's first poll", func() bool {
		m := perClient()
		if len(m) < clients {
			return false
		}
		for _, ts := range m {
			if len(ts) < 2 {
				return false
			}
		}
		return true
	})
	var gaps []time.Duration
	early := 0
	for key, ts := range perClient() {
		gap := ts[1].Sub(ts[0])
		if gap < interval-jitter {
			t.Errorf("%s polled again after %v, sooner than interval - jitter = %v", key, gap, interval-jitter)
		}
		if gap < interval {
			early++
		}
		gaps = append(gaps, gap)
	}
	slices.Sort(gaps)
	// Without jitter no client could come back before the interval. Scheduling delays on a loaded machine
	// only ever lengthen waits, so the statistical spread is checked with an injected random source and fake
	// timers in internal/cdn (100 pollers); here it is enough that jitter reached the wire at all, and that
	// the client hands the poller the configured jitter.
	if early == 0 {
		t.Errorf("no client of %d polled again before the interval (%v): no jitter? %v", clients, interval, gaps)
	}
	if got := pollerOptions(Config{PollInterval: interval, PollJitter: jitter}, logger).Jitter; got != jitter {
		t.Errorf("poller jitter = %v, want %v", got, jitter)
	}
	t.Logf("%d of %d clients polled early; waits from %v to %v", early, clients, gaps[0], gaps[len(gaps)-1])
}

func TestLifecycleDisablePolling(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	var failures atomic.Int32
	cdn.setFail(func(w http.ResponseWriter, r *http.Request) bool {
		return failures.Add(1) == 1 && status(http.StatusInternalServerError)(w, r)
	})
	c, logs := newPollingClient(t, cdn, func(cfg *Config) {
		cfg.PollInterval = 10 * time.Millisecond
		cfg.DisablePolling = true
	})
	waitInit(t, c)
	eventually(t, "polling to stop", func() bool { return !c.Stats().Polling })
	time.Sleep(50 * time.Millisecond) // five intervals
	if n := len(cdn.seen(flagsPath)); n != 2 {
		t.Errorf("%d fetches with polling disabled, want 2 (one failure retried, one success)", n)
	}
	if s := c.Stats(); s.StoppedBy != nil || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("stopping after the one fetch was reported as an error: %+v\n%s", s, logs)
	}
}

func TestLifecycleNoGoroutineLeftAfterClose(t *testing.T) {
	cdn := newFakeCDN(t, "bandit-flags-v1.json", "bandit-models-v1.json")
	base := runtime.NumGoroutine()
	for range 3 {
		c, err := NewClient(Config{APIKey: testAPIKey, BaseURL: cdn.baseURL(), PollInterval: 5 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		c.OnConfigurationChange(func(_, _ ConfigurationInfo) { time.Sleep(time.Millisecond) })
		waitInit(t, c)
		c.SetConfiguration(c.Configuration()) // a listener delivery in flight during Close
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := settledGoroutines(base); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestLifecycleCloseWithinContext(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	c, _ := newPollingClient(t, cdn, nil)
	waitInit(t, c)
	release := make(chan struct{})
	c.OnConfigurationChange(func(_, _ ConfigurationInfo) { <-release })
	c.SetConfiguration(c.Configuration())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stuck listener = %v, want the context's deadline", err)
	}
	close(release)
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("Close after the listener returned: %v", err)
	}
}

func TestLifecycleConfigErrorsAndRedaction(t *testing.T) {
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	_, err := NewClient(Config{APIKey: testAPIKey, BaseURL: "ftp://cdn.example/" + testAPIKey})
	if err == nil {
		t.Fatal("NewClient accepted an ftp base URL")
	}
	assertNoAPIKey(t, "the BaseURL error", err.Error())
	if _, err := NewClient(Config{APIKey: testAPIKey, PollInterval: -time.Second}); err == nil {
		t.Error("NewClient accepted a negative PollInterval")
	}
	cfg := Config{APIKey: testAPIKey, BaseURL: "https://cdn.example/api"}
	logger.Info("config", "config", cfg)
	text := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg) + logs.String()
	assertNoAPIKey(t, "a formatted or logged Config", text)
	if !strings.Contains(text, "cdn.example") {
		t.Errorf("the Config printed without its other fields: %s", text)
	}
}

func TestOfflineClientLifecycle(t *testing.T) {
	base := runtime.NumGoroutine()
	c, err := NewClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("an offline client started %d goroutines", n-base)
	}
	// Nothing can bring a configuration: WaitForInitialization says so at once instead of waiting out ctx.
	if err := c.WaitForInitialization(context.Background()); !errors.Is(err, ErrNoConfigurationSource) ||
		!errors.Is(err, ErrNotInitialized) || !strings.Contains(err.Error(), "neither APIKey nor InitialConfiguration") {
		t.Errorf("WaitForInitialization without any configuration source = %v, want ErrNoConfigurationSource", err)
	}
	c.SetConfiguration(loadClient(t, "flags-v1.json", "").Configuration())
	if err := c.WaitForInitialization(context.Background()); err != nil {
		t.Errorf("WaitForInitialization after SetConfiguration = %v", err)
	}
	if s := c.Stats(); s.Polling || s.Fetches != 0 || s.Configuration.Source != SourceManual {
		t.Errorf("offline stats = %+v", s)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWaitForInitializationEndsOnClose(t *testing.T) {
	cdn := newFakeCDN(t, "flags-v1.json", "")
	cdn.setFail(cdn.hang)
	c, _ := newPollingClient(t, cdn, nil)
	done := make(chan error, 1)
	go func() { done <- c.WaitForInitialization(context.Background()) }()
	eventually(t, "the fetch to hang", func() bool { return len(cdn.seen("")) == 1 })
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("WaitForInitialization after Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitForInitialization still waiting after Close")
	}
}
