package core

import (
	"errors"
	"maps"
)

// Overrides force variations locally, as Eppo's JavaScript SDKs do: for a QA session, a request carrying a
// debug header, or a unit test.

// OverrideDescription is the FlagEvaluationDescription of an overridden assignment.
const OverrideDescription = "Flag override applied"

// OverrideAllocationPrefix starts the allocation key reported for an overridden assignment:
// "override-" followed by the variation key.
const OverrideAllocationPrefix = "override-"

// ErrUnknownOverride: an override names a variation the flag does not have (or whose value does not fit
// the flag's type). The caller's default is served.
var ErrUnknownOverride = errors.New("eppokit: override names no usable variation of the flag")

// WithOverrides returns a client that answers every flag named in overrides (flag key → variation key)
// with that variation: code MATCH, allocation "override-<variation>", description [OverrideDescription].
// Overridden assignments log nothing (no assignment event, and no bandit event when the forced variation
// is a bandit), because the subject was not assigned by the experiment. Other flags evaluate and log as
// usual.
//
// The override wins over the flag's allocations and over a disabled flag, but the flag must exist in the
// configuration and match the type asked for: the value comes from the flag's own variation (an unknown
// variation key gives the default and [ErrUnknownOverride]).
//
// The returned client shares c's configuration, loggers, listeners and statistics, so it follows every
// configuration update; c itself is unaffected. Its Close does nothing (polling belongs to c); its
// LoggerPanics and EvaluationCounts count only its own calls. Overrides given to a client that already has some are
// merged, the new ones winning. The map is copied. Without overrides, an assignment pays one nil check
// for them.
func (c *Client) WithOverrides(overrides map[string]string) *Client {
	merged := maps.Clone(c.overrides)
	if merged == nil {
		merged = make(map[string]string, len(overrides))
	}
	maps.Copy(merged, overrides)
	if len(merged) == 0 {
		merged = nil
	}
	// Every field of Client is either shared here or deliberately per client (loggerPanics, evals);
	// TestWithOverridesCopiesEveryField keeps this list complete.
	return &Client{
		config:       c.config,
		assignLogger: c.assignLogger,
		banditLogger: c.banditLogger,
		assignFilter: c.assignFilter,
		banditFilter: c.banditFilter,
		logger:       c.logger,
		now:          c.now,
		lifecycle:    c.lifecycle,
		overrides:    merged,
	}
}

// Overrides returns a copy of the client's overrides (nil when it has none).
func (c *Client) Overrides() map[string]string { return maps.Clone(c.overrides) }

// overridden reports whether flagKey is overridden on this client.
func (c *Client) overridden(flagKey string) bool {
	if c.overrides == nil {
		return false
	}
	_, ok := c.overrides[flagKey]
	return ok
}

// ownsLifecycle is false for a client made by WithOverrides: polling belongs to the client it came from.
func (c *Client) ownsLifecycle() bool { return c.lifecycle == nil || c.lifecycle.client == c }

// overrideVariation answers an overridden flag (known, well formed and of the type asked for).
func (c *Client) overrideVariation(fl *flag, vt VariationType, details *EvaluationDetails) (*variation, error) {
	key := c.overrides[fl.key]
	v := fl.variations[key]
	if v == nil || v.err != nil {
		return nil, describe(details, CodeAssignmentError, "Flag override names variation "+key+
			", which the flag does not define with a usable value", flagError(fl.key, ErrUnknownOverride, key))
	}
	if details != nil {
		vk := key // a copy, so that key itself stays on the stack when details is nil
		details.FlagEvaluationCode = CodeMatch
		details.FlagEvaluationDescription = OverrideDescription
		details.VariationKey = &vk
		details.VariationValue = v.typedValue(vt)
		// Position 0: the override is none of the flag's allocations, which all went unevaluated.
		details.MatchedAllocation = &AllocationDetails{Key: OverrideAllocationPrefix + key,
			AllocationEvaluationCode: AllocationMatch}
		for j := range fl.allocations {
			details.UnevaluatedAllocations = append(details.UnevaluatedAllocations, AllocationDetails{
				Key: fl.allocations[j].key, AllocationEvaluationCode: AllocationUnevaluated, OrderPosition: j + 1})
		}
	}
	return v, nil
}
