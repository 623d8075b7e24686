package eppotest

import (
	"context"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

// closeTimeout bounds how long a test's cleanup waits for a client's configuration listeners.
const closeTimeout = 10 * time.Second

// Option configures [NewClient].
type Option func(*clientOptions)

type clientOptions struct {
	config   core.Config
	recorder *Recorder
}

// WithRecorder records the client's assignment and bandit events in r.
func WithRecorder(r *Recorder) Option {
	return func(o *clientOptions) { o.recorder = r }
}

// WithConfig starts the client from cfg: loggers (a batching pipeline, say), Logger, Now. Its
// InitialConfiguration is replaced by the TestData's flags; an APIKey is refused, because a test client
// never uses the network.
func WithConfig(cfg core.Config) Option {
	return func(o *clientOptions) { o.config = cfg }
}

// NewClient returns a client that serves td's flags, follows every later [TestData.Update], and is
// closed (and detached from td) when the test ends. It never uses the network and never polls. A misuse
// of the options fails the test at once.
func NewClient(t testing.TB, td *TestData, opts ...Option) *core.Client {
	t.Helper()
	var o clientOptions
	for _, opt := range opts {
		opt(&o)
	}
	cfg := o.config
	if cfg.APIKey != "" {
		t.Fatalf("eppotest.NewClient: WithConfig has an APIKey; a test client serves the TestData and never fetches")
	}
	if o.recorder != nil {
		if cfg.AssignmentLogger != nil || cfg.BanditLogger != nil {
			t.Fatalf("eppotest.NewClient: both WithRecorder and loggers in WithConfig; give one")
		}
		cfg.AssignmentLogger, cfg.BanditLogger = o.recorder, o.recorder
	}
	c, err := td.attach(cfg)
	if err != nil {
		t.Fatalf("eppotest.NewClient: %v", err)
	}
	t.Cleanup(func() {
		td.detach(c)
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("eppotest: closing the client: %v", err)
		}
	})
	return c
}
