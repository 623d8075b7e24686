package openfeature

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

// editedFlags returns flags-v1.json with kill-switch disabled, numeric_flag's value changed and
// empty_flag removed: three changed keys.
func editedFlags(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readUFC(t, "flags-v1.json"), &doc); err != nil {
		t.Fatal(err)
	}
	flags := doc["flags"].(map[string]any)
	flags["kill-switch"].(map[string]any)["enabled"] = false
	flags["numeric_flag"].(map[string]any)["variations"].(map[string]any)["pi"].(map[string]any)["value"] = 3.0
	delete(flags, "empty_flag")
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var editedKeys = []string{"empty_flag", "kill-switch", "numeric_flag"}

// handlerChan registers a handler for t that forwards every event to the returned channel.
func handlerChan(api *of.EvaluationAPI, t of.EventType) <-chan of.EventDetails {
	ch := make(chan of.EventDetails, 16)
	f := func(d of.EventDetails) { ch <- d }
	api.AddHandler(t, &f)
	return ch
}

// TestConfigChangeEvents: a swap fires PROVIDER_CONFIGURATION_CHANGED with exactly the changed keys,
// within a second; PROVIDER_READY fires once.
func TestConfigChangeEvents(t *testing.T) {
	base := readUFC(t, "flags-v1.json")
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, base)})
	p := NewProvider(client)
	api := isolatedAPI(t)
	ready := handlerChan(api, of.ProviderReady)
	changes := handlerChan(api, of.ProviderConfigChange)
	setProvider(t, api, p)
	waitFor(t, ready, "PROVIDER_READY")

	start := time.Now()
	client.SetConfiguration(loadConfiguration(t, editedFlags(t)))
	ev := waitFor(t, changes, "PROVIDER_CONFIGURATION_CHANGED")
	latency := time.Since(start)
	t.Logf("configuration change reached the handler after %v", latency)
	if latency > time.Second {
		t.Errorf("PROVIDER_CONFIGURATION_CHANGED took %v, want within 1 s", latency)
	}
	if !reflect.DeepEqual(ev.FlagChanges, editedKeys) {
		t.Errorf("FlagChanges = %v, want %v", ev.FlagChanges, editedKeys)
	}
	if ev.ProviderName != DefaultName || ev.EventMetadata[metaFlagSetID] != "Test" || ev.EventMetadata[metaVersion] == nil {
		t.Errorf("event = %+v; want provider %q with flagSetId and version metadata", ev, DefaultName)
	}

	// Swapping back changes the same keys; a swap to identical JSON changes none.
	client.SetConfiguration(loadConfiguration(t, base))
	if ev := waitFor(t, changes, "the second change"); !reflect.DeepEqual(ev.FlagChanges, editedKeys) {
		t.Errorf("second swap FlagChanges = %v, want %v", ev.FlagChanges, editedKeys)
	}
	client.SetConfiguration(loadConfiguration(t, base))
	if ev := waitFor(t, changes, "the third change"); len(ev.FlagChanges) != 0 {
		t.Errorf("swap to an identical configuration: FlagChanges = %v, want none", ev.FlagChanges)
	}

	// Evaluations see the new configuration.
	d, err := api.NewClient().BooleanValueDetails(context.Background(), "kill-switch", true, of.NewEvaluationContext("alice", nil))
	if err != nil || d.Reason == of.DisabledReason {
		t.Errorf("kill-switch after swapping back: %+v, %v", d, err)
	}
	if n := len(ready); n != 0 {
		t.Errorf("PROVIDER_READY fired %d more times, want once", n)
	}
	if n := p.DroppedEvents(); n != 0 {
		t.Errorf("%d events dropped, want 0", n)
	}
}

// TestEventSendsNeverBlock: with nobody reading the channel, swaps still complete and the overflow is
// counted.
func TestEventSendsNeverBlock(t *testing.T) {
	base := readUFC(t, "flags-v1.json")
	client := newOfflineClient(t, core.Config{InitialConfiguration: loadConfiguration(t, base)})
	p := NewProvider(client)
	if err := p.InitWithContext(context.Background(), of.EvaluationContext{}); err != nil { // no SDK reads events
		t.Fatal(err)
	}
	defer p.Shutdown()
	cfgs := []*core.Configuration{loadConfiguration(t, editedFlags(t)), loadConfiguration(t, base)}
	const swaps = eventBuffer + 10
	for i := range swaps {
		client.SetConfiguration(cfgs[i%2])
		// Swaps in quick succession are reported as one event; wait until this one was reported.
		eventually(t, "the swap to be reported", func() bool { return len(p.EventChannel())+int(p.DroppedEvents()) == i+1 })
	}
	if got, dropped := len(p.EventChannel()), p.DroppedEvents(); got != eventBuffer || dropped != swaps-eventBuffer {
		t.Errorf("%d events buffered, %d dropped; want %d and %d", got, dropped, eventBuffer, swaps-eventBuffer)
	}
}

// eventually polls cond until it holds, failing the test after guard.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// cdnPeer is an httptest server answering the client's configuration requests as Eppo's CDN does.
type cdnPeer struct {
	mu     sync.Mutex
	status int
	body   []byte
	etag   string
	srv    *httptest.Server
}

func newCDNPeer(t *testing.T, body []byte, etag string) *cdnPeer {
	t.Helper()
	c := &cdnPeer{status: http.StatusOK, body: body, etag: etag}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		status, body, etag := c.status, c.body, c.etag
		c.mu.Unlock()
		if r.URL.Path != "/api/flag-config/v1/config" {
			http.NotFound(w, r)
			return
		}
		if status != http.StatusOK {
			http.Error(w, http.StatusText(status), status)
			return
		}
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *cdnPeer) set(status int, body []byte, etag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = status
	if body != nil {
		c.body, c.etag = body, etag
	}
}

// TestPollingHealthEvents: failing fetches make the provider STALE, recovery makes it READY again, a CDN
// change is reported with the CDN's ETag as version, and a rejected key makes it ERROR.
func TestPollingHealthEvents(t *testing.T) {
	cdn := newCDNPeer(t, readUFC(t, "flags-v1.json"), `"v1"`)
	client, err := core.NewClient(core.Config{APIKey: "test-key", BaseURL: cdn.srv.URL + "/api",
		PollInterval: 20 * time.Millisecond, PollJitter: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := client.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	p := NewProvider(client, WithStaleAfter(2), WithHealthInterval(5*time.Millisecond))
	api := isolatedAPI(t)
	ready := handlerChan(api, of.ProviderReady)
	stale := handlerChan(api, of.ProviderStale)
	failed := handlerChan(api, of.ProviderError)
	changes := handlerChan(api, of.ProviderConfigChange)
	setProvider(t, api, p)
	waitFor(t, ready, "PROVIDER_READY")
	ofc := api.NewClient()
	ctx := context.Background()

	cdn.set(http.StatusServiceUnavailable, nil, "")
	waitFor(t, stale, "PROVIDER_STALE")
	if s := ofc.State(); s != of.StaleState {
		t.Errorf("state after failures = %s, want STALE", s)
	}
	if v, err := ofc.IntValue(ctx, "integer-flag", 0, of.NewEvaluationContext("alice", map[string]any{"email": "alice@mycompany.com", "country": "US"})); v != 3 || err != nil {
		t.Errorf("stale provider served %d, %v; want 3 from the last good configuration", v, err)
	}

	cdn.set(http.StatusOK, editedFlags(t), `"v2"`)
	waitFor(t, ready, "PROVIDER_READY after recovery")
	ev := waitFor(t, changes, "PROVIDER_CONFIGURATION_CHANGED from the CDN")
	if !reflect.DeepEqual(ev.FlagChanges, editedKeys) || ev.EventMetadata[metaVersion] != `"v2"` {
		t.Errorf("CDN change event: keys %v, metadata %v; want %v and version \"v2\"", ev.FlagChanges, ev.EventMetadata, editedKeys)
	}
	d, _ := ofc.FloatValueDetails(ctx, "numeric_flag", 0, of.NewEvaluationContext("alice", nil))
	if d.Value != 3 || d.FlagMetadata[metaVersion] != `"v2"` {
		t.Errorf("numeric_flag after the change: %v with metadata %v; want 3 and version \"v2\"", d.Value, d.FlagMetadata)
	}

	cdn.set(http.StatusUnauthorized, nil, "")
	ev = waitFor(t, failed, "PROVIDER_ERROR after the key was rejected")
	if s := ofc.State(); s != of.ErrorState {
		t.Errorf("state after a rejected key = %s (%s), want ERROR", s, ev.Message)
	}
}

// TestInitHonoursContextAndShutdown: InitWithContext returns when its ctx ends, and when the provider is
// shut down while it waits.
func TestInitHonoursContextAndShutdown(t *testing.T) {
	client := newOfflineClient(t, core.Config{}) // never gets a configuration
	p := NewProvider(client)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.InitWithContext(ctx, of.EvaluationContext{}); err == nil {
		t.Error("InitWithContext with an ended context returned nil")
	}

	errc := make(chan error, 1)
	go func() { errc <- p.InitWithContext(context.Background(), of.EvaluationContext{}) }()
	p.Shutdown()
	if err := waitFor(t, errc, "InitWithContext to return after Shutdown"); err != ErrShutdown {
		t.Errorf("InitWithContext after Shutdown = %v, want ErrShutdown", err)
	}
	if err := p.InitWithContext(context.Background(), of.EvaluationContext{}); err != ErrShutdown {
		t.Errorf("InitWithContext on a shut-down provider = %v, want ErrShutdown", err)
	}
}

// TestRejectedKeyAtInitIsFatal: a key the CDN rejects before any configuration arrived fails Init as
// PROVIDER_FATAL, so the SDK stops asking the provider.
func TestRejectedKeyAtInitIsFatal(t *testing.T) {
	cdn := newCDNPeer(t, readUFC(t, "flags-v1.json"), `"v1"`)
	cdn.set(http.StatusUnauthorized, nil, "")
	client, err := core.NewClient(core.Config{APIKey: "bad-key", BaseURL: cdn.srv.URL + "/api",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	api := isolatedAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	err = api.SetProviderAndWait(ctx, NewProvider(client, WithOwnedClient()))
	if err == nil {
		t.Fatal("SetProviderAndWait succeeded with a rejected key")
	}
	ofc := api.NewClient()
	if s := ofc.State(); s != of.FatalState {
		t.Errorf("state = %s (%v), want FATAL", s, err)
	}
	if _, err := ofc.IntValueDetails(ctx, "integer-flag", 0, of.NewEvaluationContext("alice", nil)); !errors.Is(err, of.ProviderFatalError) {
		t.Errorf("evaluation on a fatal provider: %v, want PROVIDER_FATAL", err)
	}
}
