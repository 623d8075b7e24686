package core

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync/atomic"
	"time"
)

// Config configures a [Client]. The zero value is a valid offline client with no configuration yet.
type Config struct {
	// InitialConfiguration, when set, is served from the start: no network is needed to evaluate.
	InitialConfiguration *Configuration
	// AssignmentLogger receives an event for every logged assignment. It is called on the caller's
	// goroutine: use a non-blocking logger such as package batching's Processor.
	AssignmentLogger AssignmentLogger
	// BanditLogger receives an event for every bandit action chosen. When it is nil and AssignmentLogger
	// also implements BanditLogger (as package batching's Processor and the dedupe wrappers do), bandit
	// events go to AssignmentLogger, as Eppo's SDK does.
	BanditLogger BanditLogger

	// APIKey is the Eppo SDK key. When set, the client fetches its configuration from BaseURL at once
	// and then every PollInterval, on one background goroutine, until [Client.Close]. It never appears
	// in a log line or error (a Config prints and logs with the key masked).
	APIKey string
	// BaseURL is the CDN base; default DefaultBaseURL. The client requests
	// {BaseURL}/flag-config/v1/config, and {BaseURL}/flag-config/v1/bandits when the flags reference
	// bandit model versions it does not hold.
	BaseURL string
	// PollInterval is the time between configuration fetches; default DefaultPollInterval. It bounds
	// how stale the configuration gets while the CDN answers. Negative is an error.
	PollInterval time.Duration
	// PollJitter is the most that is subtracted at random from each wait, so clients started together
	// spread out: each wait lies in (PollInterval-PollJitter, PollInterval]. Default PollInterval/10;
	// capped at PollInterval/2; negative disables jitter. A failed fetch is retried sooner, with
	// jittered exponential backoff starting at min(PollInterval/10, 1 s) and capped at PollInterval.
	PollJitter time.Duration
	// DisablePolling fetches the configuration at start (retrying until one fetch succeeds) and never
	// again: the Python SDK's poll_interval_seconds=None.
	DisablePolling bool
	// HTTPClient is used for CDN requests (bring your proxy or TLS settings); default a dedicated client.
	// Each request is bounded to 10 s in any case; a Timeout set on a given client applies as well. The
	// client uses a copy with its own redirect policy, so the API key never leaves BaseURL's host: a
	// redirect to another host or port, or from https to http, fails the fetch, and no redirect carries a
	// Referer. The given client is not modified; its CheckRedirect, if any, still runs.
	HTTPClient *http.Client
	// Logger receives the client's own diagnostics; default slog.Default().
	Logger *slog.Logger

	// Now overrides the clock used for allocation time windows and event timestamps (tests).
	Now func() time.Time
}

// Defaults for [Config].
const (
	DefaultBaseURL      = "https://fscdn.eppo.cloud/api"
	DefaultPollInterval = 30 * time.Second
)

// Client evaluates flags and bandits against its current [Configuration]. It is safe for concurrent use.
// Assignment calls never do I/O: they read an immutable configuration snapshot and hand events to the
// configured loggers.
type Client struct {
	config       *atomic.Pointer[Configuration] // shared with the clients WithOverrides derives
	assignLogger AssignmentLogger
	banditLogger BanditLogger
	assignFilter AssignmentFilter // the logger's cheap duplicate gate, when it has one
	banditFilter BanditFilter
	logger       *slog.Logger
	now          func() time.Time
	loggerPanics atomic.Uint64
	evals        evalCounts

	lifecycle *lifecycle
	overrides map[string]string // flag key → variation key; nil unless made by WithOverrides
}

// NewClient builds a client. With no APIKey it is fully offline: it starts no goroutine and serves
// InitialConfiguration, or whatever [Client.SetConfiguration] installs.
func NewClient(cfg Config) (*Client, error) {
	c := &Client{
		config:       new(atomic.Pointer[Configuration]),
		assignLogger: cfg.AssignmentLogger,
		banditLogger: cfg.BanditLogger,
		logger:       cfg.Logger,
		now:          cfg.Now,
	}
	if c.banditLogger == nil {
		c.banditLogger, _ = cfg.AssignmentLogger.(BanditLogger)
	}
	c.assignFilter, _ = cfg.AssignmentLogger.(AssignmentFilter)
	c.banditFilter, _ = c.banditLogger.(BanditFilter)
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if cfg.InitialConfiguration != nil {
		c.config.Store(cfg.InitialConfiguration)
	}
	lc, err := newLifecycle(c, cfg)
	if err != nil {
		return nil, err
	}
	c.lifecycle = lc
	return c, nil
}

// SetConfiguration atomically replaces the configuration (flags and bandits together). Evaluations in
// progress finish on the configuration they started with. A nil configuration is ignored.
func (c *Client) SetConfiguration(cfg *Configuration) {
	if c == nil || cfg == nil {
		return
	}
	c.swapConfiguration(cfg)
}

// Configuration returns the configuration currently served, or nil before the first one (and on a nil
// client).
func (c *Client) Configuration() *Configuration {
	if c == nil {
		return nil
	}
	return c.config.Load()
}

// assign evaluates flagKey for the subject. On success it returns the chosen variation; otherwise an error
// and, when details is non-nil, the details filled in. It logs the assignment when due.
func (c *Client) assign(flagKey, subjectKey string, attrs Attributes, vt VariationType, details *EvaluationDetails) (v *variation, err error) {
	if c == nil {
		return nil, describe(details, CodeConfigurationMissing, "The client is nil",
			flagError(flagKey, ErrNotInitialized, "the client is nil (NewClient failed or was not called)"))
	}
	defer func() {
		if r := recover(); r != nil { // never expected: evaluation is total; keep the caller alive anyway
			v, err = nil, flagError(flagKey, ErrFlagConfiguration, fmt.Sprintf("internal error: %v", r))
		}
		if err != nil {
			c.countFailure(flagKey, err)
		}
	}()
	cfg := c.config.Load()
	if details != nil && cfg != nil {
		details.EnvironmentName = cfg.environment
	}
	switch {
	case flagKey == "":
		return nil, describe(details, CodeInvalidArgument, "No flag key provided", ErrInvalidFlagKey)
	case subjectKey == "":
		return nil, describe(details, CodeInvalidArgument, "No subject key provided",
			flagError(flagKey, ErrInvalidSubjectKey, ""))
	case cfg == nil:
		return nil, describe(details, CodeConfigurationMissing, "Configuration has not been fetched yet",
			flagError(flagKey, ErrNotInitialized, ""))
	}
	fl := cfg.flags[flagKey]
	switch {
	case fl == nil:
		return nil, describe(details, CodeFlagUnrecognizedOrDisabled, "Unrecognized or disabled flag: "+flagKey,
			flagError(flagKey, ErrFlagNotFound, ""))
	case fl.err != nil:
		return nil, describe(details, CodeAssignmentError, fl.err.Error(), fl.err)
	case fl.vtype != vt:
		msg := fmt.Sprintf("Variation value does not have the correct type. Found %s, but expected %s for flag %s",
			fl.vtype, vt, flagKey)
		return nil, describe(details, CodeTypeMismatch, msg,
			flagError(flagKey, ErrTypeMismatch, fmt.Sprintf("flag is %s, asked for %s", fl.vtype, vt)))
	case c.overridden(flagKey):
		return c.overrideVariation(fl, vt, details)
	case !fl.enabled:
		return nil, describe(details, CodeFlagUnrecognizedOrDisabled, "Unrecognized or disabled flag: "+flagKey,
			flagError(flagKey, ErrFlagDisabled, ""))
	}
	e := evaluation{flag: fl, subjectKey: subjectKey, attrs: attrs, clock: c.now, details: details}
	idx, sp := e.run()
	if sp == nil {
		return nil, describe(details, CodeDefaultAllocationNull,
			`No allocations matched. Falling back to "Default Allocation", serving NULL`,
			flagError(flagKey, ErrNoAllocation, ""))
	}
	a := &fl.allocations[idx]
	if sp.variation == nil || sp.variation.err != nil {
		if details != nil {
			key := sp.variationKey
			details.VariationKey = &key
			if sp.variation != nil {
				details.VariationValue = rawValue(sp.variation.raw)
			}
		}
		cause := fmt.Sprintf("variation %q is not defined", sp.variationKey)
		if sp.variation != nil {
			cause = sp.variation.err.Error()
		}
		return nil, describe(details, CodeAssignmentError, invalidVariationDescription(vt, sp),
			flagError(flagKey, ErrFlagConfiguration, cause))
	}
	c.countMatch(cfg, sp)
	if details != nil {
		key := sp.variationKey
		details.FlagEvaluationCode = CodeMatch
		details.FlagEvaluationDescription = matchDescription(subjectKey, a, sp)
		details.VariationKey = &key
		details.VariationValue = sp.variation.typedValue(vt)
	}
	if a.doLog && c.assignLogger != nil &&
		(c.assignFilter == nil || !c.assignFilter.SuppressAssignment(flagKey, subjectKey, a.key, sp.variationKey)) {
		c.logAssignment(&e, a, sp, attrs)
	}
	return sp.variation, nil
}

// describe fills the details (if wanted) for a non-match and returns err.
func describe(details *EvaluationDetails, code EvaluationCode, description string, err error) error {
	if details != nil {
		details.FlagEvaluationCode = code
		details.FlagEvaluationDescription = description
	}
	return err
}

func (c *Client) logAssignment(e *evaluation, a *allocation, sp *split, attrs Attributes) {
	defer c.recoverLogger("assignment")
	c.assignLogger.LogAssignment(AssignmentEvent{
		FeatureFlag:       e.flag.key,
		Allocation:        a.key,
		Experiment:        a.experiment,
		Variation:         sp.variationKey,
		Subject:           e.subjectKey,
		SubjectAttributes: copyAttributes(attrs),
		Timestamp:         e.timeNow(),
		MetaData:          defaultMetadata,
		ExtraLogging:      sp.extraLogging,
	})
}

// copyAttributes copies the caller's map so that a logger may keep the event while the caller reuses it.
func copyAttributes(attrs Attributes) Attributes {
	if len(attrs) == 0 {
		return nil
	}
	return maps.Clone(attrs)
}

// recoverLogger turns a panicking user logger into a counted, logged incident.
func (c *Client) recoverLogger(kind string) {
	if r := recover(); r != nil {
		n := c.loggerPanics.Add(1)
		if n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th... panic: visible but never a flood
			c.logger.Error("eppokit: logger panicked; the assignment was still returned",
				"kind", kind, "panic", fmt.Sprint(r), "total_panics", n)
		}
	}
}

// LoggerPanics returns how many times a configured logger panicked (each was recovered).
func (c *Client) LoggerPanics() uint64 {
	if c == nil {
		return 0
	}
	return c.loggerPanics.Load()
}

// Close stops background configuration polling, if any, and returns when it has stopped or ctx ends.
// It is idempotent; an offline client has nothing to stop.
func (c *Client) Close(ctx context.Context) error {
	if c == nil {
		return errNilClient
	}
	if !c.ownsLifecycle() {
		return nil
	}
	return c.lifecycle.close(ctx)
}
