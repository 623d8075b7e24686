package openfeature

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"go.uber.org/goleak"
)

// TestMain fails the package when any test leaves a goroutine behind (SDK, provider, client or pipeline).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ufcDir is Eppo's conformance data bundled with the module.
const ufcDir = "../../testdata/sdk-test-data/ufc"

// guard bounds waits for things that must happen, so a bug fails the test instead of hanging it. It is
// not a performance assertion.
const guard = 10 * time.Second

func loadConfiguration(t *testing.T, flagsJSON []byte) *core.Configuration {
	t.Helper()
	cfg, err := core.NewConfiguration(flagsJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func readUFC(t testing.TB, name string) []byte {
	t.Helper()
	return readFile(t, filepath.Join(ufcDir, name))
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newCSVLogger is the one place the tests build a CSV pipeline, so a change of the csv constructor's
// shape touches only this function.
func newCSVLogger(t *testing.T, dir string, opts ...batching.Option) *batching.Processor {
	t.Helper()
	proc, err := csv.NewLogger(csv.Config{Dir: dir}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return proc
}

// startAPI installs p in a fresh isolated OpenFeature API, waits for it to be ready, and shuts the API
// down (and with it the provider) when the test ends.
func startAPI(t *testing.T, p *Provider) (*of.EvaluationAPI, *of.Client) {
	t.Helper()
	api := isolatedAPI(t)
	setProvider(t, api, p)
	return api, api.NewClient()
}

// setProvider installs p in api and waits until it is ready.
func setProvider(t *testing.T, api *of.EvaluationAPI, p *Provider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := api.SetProviderAndWait(ctx, p); err != nil {
		t.Fatalf("SetProviderAndWait: %v", err)
	}
}

// isolatedAPI returns a fresh OpenFeature API (no global state) that is shut down when the test ends.
func isolatedAPI(t testing.TB) *of.EvaluationAPI {
	t.Helper()
	api := isolated.NewAPI()
	t.Cleanup(func() { shutdownAPI(t, api) })
	return api
}

// waitFor receives from ch, failing the test after guard.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func shutdownAPI(t testing.TB, api *of.EvaluationAPI) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := api.Shutdown(ctx); err != nil {
		t.Errorf("api.Shutdown: %v", err)
	}
}

func newOfflineClient(t *testing.T, cfg core.Config) *core.Client {
	t.Helper()
	c, err := core.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
