package core

import (
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/eppokit/eppokit/core/internal/bandit"
)

// banditModels is the parsed bandit models response.
type banditModels = bandit.Models

func parseBanditModels(data []byte) (*banditModels, error) { return bandit.ParseModels(data) }

// BanditResult is what [Client.GetBanditAction] chose: the flag's variation and, when the subject landed on
// a bandit, the action (nil when no action was chosen).
type BanditResult struct {
	Variation string
	Action    *string
}

// BanditKeys returns the keys of the bandit models loaded with the configuration, sorted.
func (c *Configuration) BanditKeys() []string {
	if c.bandits == nil {
		return nil
	}
	keys := make([]string, 0, len(c.bandits.Bandits))
	for k := range c.bandits.Bandits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReferencedBanditVersions returns, for each bandit the flags link to, the model version they reference
// (from the flags' banditReferences; "" when the flags name the bandit without a version).
func (c *Configuration) ReferencedBanditVersions() map[string]string {
	out := make(map[string]string)
	for _, byValue := range c.banditIndex {
		for _, key := range byValue {
			out[key] = c.banditVersions[key]
		}
	}
	return out
}

// BanditModelVersions returns the version of every bandit model loaded, by bandit key.
func (c *Configuration) BanditModelVersions() map[string]string {
	out := make(map[string]string)
	if c.bandits != nil {
		for k, m := range c.bandits.Bandits {
			out[k] = m.Version
		}
	}
	return out
}

// withBandits returns a copy of c that serves models (used when the flags changed but the models did not).
func (c *Configuration) withBandits(models *banditModels) *Configuration {
	cp := *c
	cp.bandits = models
	return &cp
}

// GetBanditAction evaluates a bandit-backed STRING flag for a subject and, when the subject's variation is
// a bandit, chooses one of the actions.
//
// The flag is evaluated on the subject's attributes flattened (numeric and categorical together); when that
// fails, defaultVariation stands in, and a defaultVariation that names a bandit still selects an action.
// The result is always usable. A non-nil error explains a degraded result: the flag's evaluation error
// (ErrFlagNotFound, ErrTypeMismatch, ...), or [ErrBandit] when its model is missing or unusable. No
// actions (a nil or empty map) is not an error: the result holds the variation and a nil Action, and the
// details' code NO_ACTIONS_SUPPLIED_FOR_BANDIT says why no action was chosen. Numeric attributes that are NaN or ±Inf count as
// missing. The assignment event (when due) is logged first, then a [BanditEvent] when an action was chosen.
func (c *Client) GetBanditAction(flagKey, subjectKey string, subjectAttributes ContextAttributes, actions map[string]ContextAttributes, defaultVariation string) (BanditResult, error) {
	return c.banditAction(flagKey, subjectKey, subjectAttributes, actions, defaultVariation, nil)
}

// GetBanditActionDetails is [Client.GetBanditAction] with evaluation details; banditKey and banditAction
// are set when an action was chosen.
func (c *Client) GetBanditActionDetails(flagKey, subjectKey string, subjectAttributes ContextAttributes, actions map[string]ContextAttributes, defaultVariation string) (BanditResult, EvaluationDetails, error) {
	d := newDetails("")
	r, err := c.banditAction(flagKey, subjectKey, subjectAttributes, actions, defaultVariation, &d)
	return r, d, err
}

func (c *Client) banditAction(flagKey, subjectKey string, subject ContextAttributes, actions map[string]ContextAttributes,
	defaultVariation string, details *EvaluationDetails) (BanditResult, error) {
	result := BanditResult{Variation: defaultVariation}
	v, flagErr := c.assign(flagKey, subjectKey, subject.flatten(), TypeString, details)
	if flagErr == nil {
		result.Variation = v.str
	}
	if c == nil {
		return result, flagErr
	}
	cfg := c.config.Load()
	if cfg == nil || subjectKey == "" {
		return result, flagErr
	}
	banditKey, isBandit := cfg.banditIndex[flagKey][result.Variation]
	if !isBandit {
		return result, flagErr
	}
	if len(actions) == 0 {
		// A normal case, not a failure: the subject has the bandit variation and no action was chosen.
		describe(details, CodeNoActionsSuppliedForBandit, "No actions supplied for bandit "+banditKey+": no action chosen", nil)
		return result, flagErr
	}
	model, err := cfg.bandits.Lookup(banditKey)
	if err != nil {
		describe(details, CodeBanditError, "Bandit model unavailable: "+err.Error(), nil)
		return result, banditError(flagKey, flagErr, err.Error())
	}
	list := make([]bandit.Action, 0, len(actions))
	for key, attrs := range actions {
		list = append(list, bandit.Action{Key: key, Numeric: attrs.NumericAttributes, Categorical: attrs.CategoricalAttributes})
	}
	sel, err := model.Select(flagKey, subjectKey, subject.NumericAttributes, subject.CategoricalAttributes, list)
	if err != nil {
		describe(details, CodeBanditError, "Bandit evaluation failed: "+err.Error(), nil)
		return result, banditError(flagKey, flagErr, err.Error())
	}
	action := sel.Key
	result.Action = &action
	if details != nil {
		key := banditKey
		details.BanditKey = &key
		details.BanditAction = &action
	}
	if c.banditLogger != nil && !c.overridden(flagKey) &&
		(c.banditFilter == nil || !c.banditFilter.SuppressBanditAction(flagKey, subjectKey, banditKey, action)) {
		chosen := actions[action]
		c.logBandit(BanditEvent{
			FlagKey:                      flagKey,
			BanditKey:                    banditKey,
			Subject:                      subjectKey,
			Action:                       action,
			ActionProbability:            sel.Probability,
			OptimalityGap:                sel.OptimalityGap,
			ModelVersion:                 model.Version,
			Timestamp:                    c.eventTime(),
			SubjectNumericAttributes:     maps.Clone(subject.NumericAttributes),
			SubjectCategoricalAttributes: maps.Clone(subject.CategoricalAttributes),
			ActionNumericAttributes:      maps.Clone(chosen.NumericAttributes),
			ActionCategoricalAttributes:  maps.Clone(chosen.CategoricalAttributes),
			MetaData:                     defaultMetadata,
		})
	}
	// The flag's error is reported even though a default variation that names a bandit still produced an action.
	return result, flagErr
}

// banditError reports why a bandit chose no action. When the flag's own evaluation failed too (a default
// variation naming a bandit stood in), one message carries both causes and matches both errors.
func banditError(flagKey string, flagErr error, cause string) error {
	err := flagError(flagKey, ErrBandit, cause)
	if flagErr == nil {
		return err
	}
	return &chainError{msg: err.Error() + " (after: " + strings.TrimPrefix(flagErr.Error(), "eppokit: ") + ")",
		errs: []error{err, flagErr}}
}

func (c *Client) logBandit(e BanditEvent) {
	defer c.recoverLogger("bandit")
	c.banditLogger.LogBanditAction(e)
}

// eventTime is the timestamp of an event logged outside a flag evaluation.
func (c *Client) eventTime() time.Time { return timestamp(c.now) }
