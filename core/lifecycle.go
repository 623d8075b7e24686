package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core/internal/cdn"
)

// Lifecycle errors.
var (
	// ErrUnauthorized: the CDN rejected the API key (HTTP 401 or 403). Polling stops: retrying cannot help.
	ErrUnauthorized = errors.New("eppokit: the CDN rejected the API key (HTTP 401/403); configuration polling stopped")
	// ErrClosed: the client was closed before it had a configuration.
	ErrClosed = errors.New("eppokit: client closed")
)

// maxInitialBackoff caps the first retry wait after a failed fetch (see pollerOptions).
const maxInitialBackoff = time.Second

// lifecycle owns how configurations reach a client (initial, CDN, SetConfiguration), what is known about
// them (ConfigurationInfo, Stats), and who is told when they change.
type lifecycle struct {
	client *Client
	logger *slog.Logger
	apiKey string // only to scrub it from text this file logs

	fetcher  *cdn.Fetcher // nil when offline
	poller   *cdn.Poller  // nil when offline
	stopPoll context.CancelFunc
	fetchOne bool // DisablePolling: stop after the first successful round
	ownHTTP  bool // the fetcher's HTTP client is ours: close its idle connections on Close

	cdn cdnState // touched only by the poller goroutine

	mu          sync.Mutex
	info        ConfigurationInfo
	stats       Stats
	initialized chan struct{}
	initDone    bool
	listeners   []func(old, new ConfigurationInfo)
	notify      notifier
}

func newLifecycle(c *Client, cfg Config) (*lifecycle, error) {
	l := &lifecycle{client: c, logger: c.logger, apiKey: cfg.APIKey, initialized: make(chan struct{})}
	l.notify.onPanic = l.listenerPanicked
	if cur := c.config.Load(); cur != nil {
		l.info = infoFor(cur, SourceInitial, c.now())
		l.initDone = true
		close(l.initialized)
	}
	if cfg.APIKey == "" {
		return l, nil // offline: no goroutine, nothing to stop
	}
	if cfg.PollInterval < 0 {
		return nil, fmt.Errorf("eppokit: Config.PollInterval is negative (%v)", cfg.PollInterval)
	}
	baseURL := cfg.BaseURL
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	f, err := cdn.NewFetcher(cdn.Options{
		APIKey:     cfg.APIKey,
		BaseURL:    baseURL,
		SDKName:    SDKName,
		SDKVersion: SDKVersion,
		HTTPClient: cfg.HTTPClient,
		Logger:     c.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("eppokit: %w", err) // already free of the key
	}
	l.fetcher, l.fetchOne, l.ownHTTP = f, cfg.DisablePolling, cfg.HTTPClient == nil
	ctx, cancel := context.WithCancel(context.Background())
	l.stopPoll = cancel
	l.poller = cdn.StartPoller(ctx, l.step, pollerOptions(cfg, c.logger))
	return l, nil
}

// pollerOptions chooses the timing. Each wait after a success is PollInterval minus up to PollJitter
// (default a tenth of the interval, as Eppo's Rust and JS SDKs do), so PollInterval bounds staleness
// while a fleet that started together drifts apart. After a failure, retries start at a tenth of the
// interval, at most maxInitialBackoff, and grow 1.5× per failure with ±50% randomization up to
// PollInterval: a blip costs about a second, while an outage is probed at no more than the normal rate.
func pollerOptions(cfg Config, logger *slog.Logger) cdn.PollerOptions {
	interval := cfg.PollInterval
	if interval == 0 {
		interval = DefaultPollInterval
	}
	return cdn.PollerOptions{
		Interval:       interval,
		Jitter:         cfg.PollJitter, // 0 → interval/10; negative → none (see Config.PollJitter)
		InitialBackoff: min(max(interval/10, time.Millisecond), maxInitialBackoff),
		Logger:         logger,
	}
}

// step is one poll round, run on the poller goroutine. The round's statistics and its configuration
// change become visible together.
func (l *lifecycle) step(ctx context.Context) error {
	next, info, err := l.refresh(ctx)
	if ctx.Err() != nil {
		return err // stopping: not a failure worth recording
	}
	switch {
	case errors.Is(err, cdn.ErrUnauthorized):
		err = &chainError{msg: "eppokit: the CDN rejected the API key (" + err.Error() + "); configuration polling stopped",
			errs: []error{ErrUnauthorized, err}}
	case err != nil:
		err = chain("", err)
	}
	now := l.client.now()
	l.mu.Lock()
	l.stats.Fetches++
	l.stats.LastFetch = now
	switch {
	case err != nil:
		l.stats.Failures++
		l.stats.ConsecutiveFailures++
		l.stats.LastError, l.stats.LastErrorAt = err, now
	case next != nil:
		l.stats.Updates++
	default:
		l.stats.Unchanged++
	}
	if err == nil {
		l.stats.ConsecutiveFailures = 0
		l.stats.LastSuccess = now
	}
	if next != nil {
		l.installLocked(next, info)
	}
	l.mu.Unlock()
	if next != nil {
		l.logger.LogAttrs(ctx, slog.LevelInfo, "eppokit: configuration updated",
			slog.String("environment", info.Environment), slog.Int("flags", info.Flags),
			slog.Int("bandits", info.Bandits), slog.String("etag", info.ETag))
	}
	if err == nil && l.fetchOne {
		l.stopPoll() // DisablePolling: one successful round is all we wanted
	}
	return err
}

// stoppedBy returns the permanent error that ended polling, if any.
func (l *lifecycle) stoppedBy() error {
	if l.poller == nil {
		return nil
	}
	return l.poller.Err()
}

// swapConfiguration installs a configuration given by SetConfiguration.
func (c *Client) swapConfiguration(cfg *Configuration) {
	if c.lifecycle == nil {
		c.config.Store(cfg)
		return
	}
	l := c.lifecycle
	l.mu.Lock()
	defer l.mu.Unlock()
	l.installLocked(cfg, infoFor(cfg, SourceManual, c.now()))
}

// installLocked serves cfg from now on and queues the change for the listeners. Installs are
// serialized by l.mu, which the caller holds, so listeners see every change once, in order, with
// matching old and new descriptions.
func (l *lifecycle) installLocked(cfg *Configuration, info ConfigurationInfo) {
	old := l.info
	l.client.config.Store(cfg)
	l.info = info
	if !l.initDone {
		l.initDone = true
		close(l.initialized)
	}
	if len(l.listeners) > 0 {
		l.notify.enqueue(change{old: old, new: info, listeners: l.listeners})
	}
}

// OnConfigurationChange registers f to be called after every configuration change (from the CDN or
// SetConfiguration; not for InitialConfiguration) with descriptions of the old and new configurations.
// Listeners run one change at a time, in order, on a goroutine of their own: never on an assignment
// call's or the poller's, so a slow listener delays neither. A panicking listener is recovered and
// logged. A nil f is ignored. Changes installed before f was registered (the first fetch may complete
// right after NewClient) are not replayed: read [Client.ConfigurationInfo] for the current configuration.
func (c *Client) OnConfigurationChange(f func(old, new ConfigurationInfo)) {
	if f == nil || c == nil || c.lifecycle == nil {
		return
	}
	l := c.lifecycle
	l.mu.Lock()
	defer l.mu.Unlock()
	// Copy on write: queued changes keep the slice they were given.
	l.listeners = append(l.listeners[:len(l.listeners):len(l.listeners)], f)
}

// WaitForInitialization returns nil once the client has a configuration: at once with an
// InitialConfiguration, otherwise after the first successful fetch (or SetConfiguration). It returns an
// error when ctx ends first (mentioning the last fetch error, if any), when polling stopped for good
// before any configuration arrived (wrapping [ErrUnauthorized] for a rejected key), or when the client
// was closed first ([ErrClosed]). A client with neither APIKey nor InitialConfiguration, and no
// configuration set yet, has nothing to wait for: the error, returned at once, matches
// [ErrNoConfigurationSource] and [ErrNotInitialized].
func (c *Client) WaitForInitialization(ctx context.Context) error {
	if c == nil {
		return errNilClient
	}
	l := c.lifecycle
	if l == nil {
		if c.config.Load() != nil {
			return nil
		}
		return ErrNotInitialized
	}
	var stopped <-chan struct{}
	if l.poller != nil {
		stopped = l.poller.Done()
	} else if c.config.Load() == nil {
		return errNoSource // nothing will ever bring a configuration: say so now
	}
	select {
	case <-l.initialized:
		return nil
	case <-stopped:
		select {
		case <-l.initialized: // the last round installed it, then polling ended (DisablePolling)
			return nil
		default:
		}
		if err := l.stoppedBy(); err != nil {
			return chain("no configuration", err)
		}
		return ErrClosed
	case <-ctx.Done():
		if err := c.Stats().LastError; err != nil {
			return fmt.Errorf("eppokit: waiting for the first configuration: %w (last fetch error: %s)",
				ctx.Err(), l.redact(strings.TrimPrefix(err.Error(), "eppokit: ")))
		}
		return fmt.Errorf("eppokit: waiting for the first configuration: %w", ctx.Err())
	}
}

// close stops polling (abandoning a fetch in progress) and waits for the poller and any listener
// call in progress, or for ctx. It is idempotent.
func (l *lifecycle) close(ctx context.Context) error {
	if l == nil {
		return nil
	}
	if l.poller != nil {
		if err := l.poller.Stop(ctx); err != nil {
			return fmt.Errorf("eppokit: close: %w", err)
		}
		if l.ownHTTP {
			l.fetcher.CloseIdleConnections()
		}
	}
	if err := l.notify.wait(ctx); err != nil {
		return fmt.Errorf("eppokit: close: waiting for configuration listeners: %w", err)
	}
	return nil
}
