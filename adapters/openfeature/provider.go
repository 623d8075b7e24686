package openfeature

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

// Provider is an OpenFeature FeatureProvider, ContextAwareStateHandler and EventHandler backed by a
// core.Client. Create it with NewProvider; it is safe for concurrent use.
type Provider struct {
	client *core.Client
	opts   options

	events        chan of.Event
	droppedEvents atomic.Uint64
	version       atomic.Pointer[configVersion]

	mu        sync.Mutex
	state     state
	listening bool                // registered with client.OnConfigurationChange (cannot be undone)
	last      *core.Configuration // the configuration change events were last computed against
	done      chan struct{}       // closed by shutdown
	first     chan struct{}       // closed when the listener sees the first configuration
	watching  chan struct{}       // closed when the health watcher exits; nil when none runs
}

type state uint8

const (
	stateNotReady state = iota
	stateReady
	stateStale
	stateError
	stateShutdown
)

// Interface checks: the SDK finds these capabilities by type assertion.
var (
	_ of.FeatureProvider          = (*Provider)(nil)
	_ of.ContextAwareStateHandler = (*Provider)(nil)
	_ of.EventHandler             = (*Provider)(nil)
)

// NewProvider wraps client. The client keeps its loggers: exposures go through its pipeline.
// Unless WithOwnedClient is given, shutting the provider down leaves the client open.
func NewProvider(client *core.Client, opts ...Option) *Provider {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return &Provider{
		client: client,
		opts:   o,
		events: make(chan of.Event, eventBuffer),
		done:   make(chan struct{}),
		first:  make(chan struct{}),
	}
}

// Metadata names the provider.
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: p.opts.name} }

// Hooks returns none: exposures are logged by the client itself.
func (p *Provider) Hooks() []of.Hook { return nil }

// BooleanEvaluation evaluates a BOOLEAN flag.
func (p *Provider) BooleanEvaluation(_ context.Context, flag string, defaultValue bool, flatCtx of.FlattenedContext) of.BoolResolutionDetail {
	return resolve(p, (*core.Client).GetBooleanAssignmentDetails, flag, defaultValue, flatCtx)
}

// StringEvaluation evaluates a STRING flag.
func (p *Provider) StringEvaluation(_ context.Context, flag string, defaultValue string, flatCtx of.FlattenedContext) of.StringResolutionDetail {
	return resolve(p, (*core.Client).GetStringAssignmentDetails, flag, defaultValue, flatCtx)
}

// FloatEvaluation evaluates a NUMERIC flag.
func (p *Provider) FloatEvaluation(_ context.Context, flag string, defaultValue float64, flatCtx of.FlattenedContext) of.FloatResolutionDetail {
	return resolve(p, (*core.Client).GetNumericAssignmentDetails, flag, defaultValue, flatCtx)
}

// IntEvaluation evaluates an INTEGER flag.
func (p *Provider) IntEvaluation(_ context.Context, flag string, defaultValue int64, flatCtx of.FlattenedContext) of.IntResolutionDetail {
	return resolve(p, (*core.Client).GetIntegerAssignmentDetails, flag, defaultValue, flatCtx)
}

// ObjectEvaluation evaluates a JSON flag and returns its decoded value (map[string]any, []any, ...),
// the caller's own copy.
func (p *Provider) ObjectEvaluation(_ context.Context, flag string, defaultValue any, flatCtx of.FlattenedContext) of.InterfaceResolutionDetail {
	return resolve(p, (*core.Client).GetJSONAssignmentDetails, flag, defaultValue, flatCtx)
}

// getter is the shape of the client's typed Details getters, as method expressions.
type getter[T any] func(c *core.Client, flagKey, subjectKey string, attrs core.Attributes, defaultValue T) (T, core.EvaluationDetails, error)

func resolve[T any](p *Provider, get getter[T], flag string, defaultValue T, flatCtx of.FlattenedContext) of.GenericResolutionDetail[T] {
	if p.client == nil {
		res := of.GenericResolutionDetail[T]{Value: defaultValue}
		res.Reason, res.ResolutionError = of.ErrorReason, of.NewProviderFatalResolutionError(errNilClient.Error())
		return res
	}
	subject, attrs := subjectAndAttributes(flatCtx)
	value, details, err := get(p.client, flag, subject, attrs, defaultValue)
	// The configuration read after the call is the one evaluated unless a swap landed during the call;
	// then allocation traits and version describe the newer one.
	cfg := p.client.Configuration()
	var traits core.AllocationTraits
	known := false // false only when a swap removed the matched allocation during the call
	if details.MatchedAllocation != nil {
		traits, known = cfg.Allocation(flag, details.MatchedAllocation.Key)
	}
	res := of.GenericResolutionDetail[T]{Value: value}
	res.FlagMetadata = p.metadata(cfg, details, traits, known)
	if err == nil {
		res.Reason = matchReason(details, traits)
		if details.VariationKey != nil {
			res.Variant = *details.VariationKey
		}
		return res
	}
	res.Value = defaultValue
	res.Reason, res.ResolutionError = errorResult(err)
	return res
}

// matchReason tells OpenFeature why a match happened.
func matchReason(d core.EvaluationDetails, traits core.AllocationTraits) of.Reason {
	switch {
	case d.MatchedRule != nil:
		return of.TargetingMatchReason
	case traits.Sharded:
		return of.SplitReason
	}
	return of.StaticReason
}

// errorResult maps a getter's error to a reason and, for real errors, an OpenFeature resolution error.
// The zero ResolutionError means no error.
func errorResult(err error) (of.Reason, of.ResolutionError) {
	msg := err.Error()
	switch {
	case errors.Is(err, core.ErrNoAllocation), errors.Is(err, core.ErrInvalidSubjectKey):
		return of.DefaultReason, of.ResolutionError{}
	case errors.Is(err, core.ErrFlagDisabled):
		return of.DisabledReason, of.ResolutionError{}
	case errors.Is(err, core.ErrFlagNotFound), errors.Is(err, core.ErrInvalidFlagKey):
		return of.ErrorReason, of.NewFlagNotFoundResolutionError(msg)
	case errors.Is(err, core.ErrTypeMismatch):
		return of.ErrorReason, of.NewTypeMismatchResolutionError(msg)
	case errors.Is(err, core.ErrFlagConfiguration):
		return of.ErrorReason, of.NewParseErrorResolutionError(msg, err)
	case errors.Is(err, core.ErrNotInitialized):
		return of.ErrorReason, of.NewProviderNotReadyResolutionError(msg)
	}
	return of.ErrorReason, of.NewGeneralResolutionError(msg, err)
}

// Flag metadata keys. version and flagSetId are the keys go-sdk's telemetry package reads.
const (
	metaAllocationKey = "allocationKey"
	metaDoLog         = "doLog"
	metaCode          = "evaluationCode"
	metaDescription   = "evaluationDescription"
	metaVersion       = "version"
	metaFlagSetID     = "flagSetId"
)

func (p *Provider) metadata(cfg *core.Configuration, d core.EvaluationDetails, traits core.AllocationTraits, known bool) of.FlagMetadata {
	md := of.FlagMetadata{
		metaCode:        string(d.FlagEvaluationCode),
		metaDescription: d.FlagEvaluationDescription,
	}
	if d.MatchedAllocation != nil {
		md[metaAllocationKey] = d.MatchedAllocation.Key
		if known {
			md[metaDoLog] = traits.DoLog
		}
	}
	if d.EnvironmentName != "" {
		md[metaFlagSetID] = d.EnvironmentName
	}
	if v := p.versionOf(cfg); v != "" {
		md[metaVersion] = v
	}
	return md
}

// configVersion caches the version string of one configuration, so evaluations do not take the
// client's lifecycle lock.
type configVersion struct {
	cfg     *core.Configuration
	version string
}

// versionOf returns the version of cfg: the CDN's ETag, else when the client installed it.
func (p *Provider) versionOf(cfg *core.Configuration) string {
	if cfg == nil {
		return ""
	}
	if v := p.version.Load(); v != nil && v.cfg == cfg {
		return v.version
	}
	// ConfigurationInfo and Configuration are read separately; the info belongs to cfg when the
	// configuration was the same before and after reading it.
	info := p.client.ConfigurationInfo()
	if p.client.Configuration() != cfg {
		return "" // a swap is in progress; the next evaluation caches the new one
	}
	v := info.ETag
	if v == "" && !info.InstalledAt.IsZero() {
		v = core.FormatTimestamp(info.InstalledAt)
	}
	p.version.Store(&configVersion{cfg: cfg, version: v})
	return v
}
