package core

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/eppokit/eppokit/core/internal/shard"
)

// maxCachedSalts is how many distinct salts of one flag have their shard memoised per evaluation.
const maxCachedSalts = 64

// evaluation is the state of evaluating one flag for one subject. It lives on the caller's stack.
type evaluation struct {
	flag       *flag
	subjectKey string
	attrs      Attributes
	clock      func() time.Time
	now        time.Time
	haveNow    bool
	computed   uint64 // bit i set: shards[i] holds the shard of salt i
	shards     [maxCachedSalts]uint32
	details    *EvaluationDetails
}

// timeNow returns the single "now" of this evaluation, read at most once: every allocation's time window
// and the event timestamp use the same instant.
func (e *evaluation) timeNow() time.Time {
	if !e.haveNow {
		e.now = timestamp(e.clock)
		e.haveNow = true
	}
	return e.now
}

// timestamp reads the clock for time windows and events: UTC, millisecond precision, no monotonic part.
func timestamp(clock func() time.Time) time.Time {
	return clock().UTC().Truncate(time.Millisecond)
}

// run evaluates the allocations in order and returns the index of the matched allocation and its split,
// or -1 and nil when none matched.
func (e *evaluation) run() (int, *split) {
	allocs := e.flag.allocations
	for i := range allocs {
		a := &allocs[i]
		if a.hasStart || a.hasEnd {
			now := e.timeNow()
			if a.hasStart && now.Before(a.startAt) {
				e.unmatched(i, AllocationBeforeStartTime)
				continue
			}
			if a.hasEnd && now.After(a.endAt) {
				e.unmatched(i, AllocationAfterEndTime)
				continue
			}
		}
		matchedRule := -1
		if len(a.rules) > 0 {
			for r := range a.rules {
				if e.ruleMatches(&a.rules[r]) {
					matchedRule = r
					break
				}
			}
			if matchedRule < 0 {
				e.unmatched(i, AllocationFailingRule)
				continue
			}
		}
		for s := range a.splits {
			if e.splitMatches(&a.splits[s]) {
				e.matched(i, matchedRule)
				return i, &a.splits[s]
			}
		}
		e.unmatched(i, AllocationTrafficExposureMiss)
	}
	return -1, nil
}

func (e *evaluation) ruleMatches(r *rule) bool {
	for i := range r.conditions {
		c := &r.conditions[i]
		if !c.matches(e.attribute(c.attribute)) {
			return false
		}
	}
	return true
}

// attribute looks an attribute up; "id" defaults to the subject key unless the caller set it (even to nil).
func (e *evaluation) attribute(name string) attrValue {
	v, ok := e.attrs[name]
	if !ok {
		if name == "id" {
			return attrValue{kind: kindString, s: e.subjectKey}
		}
		return attrValue{kind: kindAbsent}
	}
	return normalize(v)
}

func (e *evaluation) splitMatches(s *split) bool {
	for i := range s.shards {
		sh := &s.shards[i]
		v := e.shardOf(sh.salt)
		in := false
		for _, r := range sh.ranges {
			if int64(v) >= r.Start && int64(v) < r.End {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

func (e *evaluation) shardOf(salt int) uint32 {
	if salt < maxCachedSalts && e.computed&(1<<salt) != 0 {
		return e.shards[salt]
	}
	v := shard.Of(e.flag.totalShards, e.flag.salts[salt], e.subjectKey)
	if salt < maxCachedSalts {
		e.shards[salt] = v
		e.computed |= 1 << salt
	}
	return v
}

func (e *evaluation) unmatched(i int, code AllocationCode) {
	if e.details == nil {
		return
	}
	e.details.UnmatchedAllocations = append(e.details.UnmatchedAllocations,
		AllocationDetails{Key: e.flag.allocations[i].key, AllocationEvaluationCode: code, OrderPosition: i + 1})
}

func (e *evaluation) matched(i, matchedRule int) {
	d := e.details
	if d == nil {
		return
	}
	a := &e.flag.allocations[i]
	d.MatchedAllocation = &AllocationDetails{Key: a.key, AllocationEvaluationCode: AllocationMatch, OrderPosition: i + 1}
	if matchedRule >= 0 {
		d.MatchedRule = ruleDetails(a.rules[matchedRule].wire)
	}
	for j := i + 1; j < len(e.flag.allocations); j++ {
		d.UnevaluatedAllocations = append(d.UnevaluatedAllocations, AllocationDetails{
			Key: e.flag.allocations[j].key, AllocationEvaluationCode: AllocationUnevaluated, OrderPosition: j + 1})
	}
}

// matchDescription words a MATCH the way Eppo's SDKs do in their evaluation details.
func matchDescription(subjectKey string, a *allocation, s *split) string {
	if len(a.rules) == 0 {
		return fmt.Sprintf("%s belongs to the range of traffic assigned to %q defined in allocation %q.",
			subjectKey, s.variationKey, a.key)
	}
	if len(a.splits) > 1 || s.rawShards > 1 {
		return fmt.Sprintf("Supplied attributes match rules defined in allocation %q and %s belongs to the range of traffic assigned to %q.",
			a.key, subjectKey, s.variationKey)
	}
	return fmt.Sprintf("Supplied attributes match rules defined in allocation %q.", a.key)
}

// invalidVariationDescription words an ASSIGNMENT_ERROR for a selected variation that is unusable.
func invalidVariationDescription(vt VariationType, s *split) string {
	if s.variation == nil {
		return fmt.Sprintf("Variation (%s) is not defined in the flag's variations", s.variationKey)
	}
	return fmt.Sprintf("Variation (%s) is configured for type %s, but is set to incompatible value (%s)",
		s.variationKey, vt, rawText(s.variation.raw))
}

// rawText renders a raw JSON value for a message: strings unquoted, everything else as written.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// rawValue decodes a raw JSON value generically, for evaluation details.
func rawValue(raw json.RawMessage) any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return v
}

// typedValue returns a variation's value as evaluation details show it.
func (v *variation) typedValue(vt VariationType) any {
	switch vt {
	case TypeString:
		return v.str
	case TypeInteger:
		return v.i
	case TypeNumeric:
		return v.f
	case TypeBoolean:
		return v.b
	case TypeJSON:
		return deepCopyJSON(v.jsonV)
	}
	return nil
}

// deepCopyJSON copies a decoded JSON value so callers may modify what they get.
func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopyJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopyJSON(e)
		}
		return s
	}
	return v
}
