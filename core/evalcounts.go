package core

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// EvaluationCount is how many evaluations of one flag ended the same way. Reason and ErrorType use the
// lower-case values of OpenFeature's resolution reasons and error codes (as OpenTelemetry's
// feature_flag.result.reason and error.type do):
//
//	Reason           when
//	targeting_match  a variation was served by an allocation with targeting rules
//	split            a variation was served by traffic splitting (shard ranges) without rules
//	static           a variation was served to every subject of an allocation without rules or shard ranges
//	default          no allocation matched (ErrNoAllocation): the caller's default was returned
//	disabled         the flag is disabled (ErrFlagDisabled)
//	error            the evaluation failed; ErrorType says how:
//	                   flag_not_found         ErrFlagNotFound, ErrInvalidFlagKey
//	                   provider_not_ready     ErrNotInitialized
//	                   type_mismatch          ErrTypeMismatch
//	                   parse_error            ErrFlagConfiguration (the flag or the chosen variation is unusable)
//	                   targeting_key_missing  ErrInvalidSubjectKey
//	                   general                anything else
//
// Variation is the variation key served ("" when the default was). Flag is "" for evaluations that no flag
// of the configuration could be named for: no configuration yet, an empty or unknown flag key, or an
// empty subject key for a flag the configuration does not have. (Unknown keys are not kept: they are
// whatever callers pass, so counting them per key could grow without bound.)
type EvaluationCount struct {
	Flag      string
	Variation string
	Reason    string
	ErrorType string
	Count     uint64
}

// EvaluationCounts returns how many assignment evaluations the client has made (typed getters, their
// Details variants and the flag evaluation of bandit calls), by flag and outcome, sorted by Flag,
// Variation, Reason and ErrorType; outcomes never seen are left out. Counts never reset and are kept per
// client across configuration changes: when a configuration is replaced, its counts are added to the
// client's totals. The only evaluation that can be missed is one that started before two configuration
// changes and finished after both.
//
// Counting costs an assignment call one atomic load, one cheap random number and one atomic add on one of
// several striped copies of the counter (BenchmarkCountMatch); reading the
// counts takes a lock and allocates, and is meant for metrics collection.
func (c *Client) EvaluationCounts() []EvaluationCount {
	return c.evals.snapshot()
}

// outcome is how an evaluation ended: the first numOutcomes are non-matches (every flag has one counter
// for each), the rest the reasons a split serves a variation.
type outcome uint8

const (
	outDefault outcome = iota
	outDisabled
	outFlagNotFound
	outNotReady
	outTypeMismatch
	outParseError
	outTargetingKeyMissing
	outGeneral
	numOutcomes
)

// The reasons a split serves a variation, numbered after the non-matches.
const (
	servedTargetingMatch = numOutcomes + iota
	servedSplit
	servedStatic
)

var outcomeLabels = [...]struct{ reason, errorType string }{
	servedTargetingMatch:   {"targeting_match", ""},
	servedSplit:            {"split", ""},
	servedStatic:           {"static", ""},
	outDefault:             {"default", ""},
	outDisabled:            {"disabled", ""},
	outFlagNotFound:        {"error", "flag_not_found"},
	outNotReady:            {"error", "provider_not_ready"},
	outTypeMismatch:        {"error", "type_mismatch"},
	outParseError:          {"error", "parse_error"},
	outTargetingKeyMissing: {"error", "targeting_key_missing"},
	outGeneral:             {"error", "general"},
}

// outcomeOf classifies an assignment error by its sentinel.
func outcomeOf(err error) outcome {
	switch {
	case errors.Is(err, ErrNoAllocation):
		return outDefault
	case errors.Is(err, ErrFlagDisabled):
		return outDisabled
	case errors.Is(err, ErrFlagNotFound), errors.Is(err, ErrInvalidFlagKey):
		return outFlagNotFound
	case errors.Is(err, ErrNotInitialized):
		return outNotReady
	case errors.Is(err, ErrTypeMismatch):
		return outTypeMismatch
	case errors.Is(err, ErrFlagConfiguration):
		return outParseError
	case errors.Is(err, ErrInvalidSubjectKey):
		return outTargetingKeyMissing
	}
	return outGeneral
}

// evalKey names one counter: what EvaluationCount reports besides the count.
type evalKey struct {
	flag, variation string
	outcome         outcome
}

// evalLayout numbers the counters of one compiled configuration: each flag owns numOutcomes slots from
// flag.evalBase, and each split one slot (split.evalSlot) labelled with its variation and reason. The
// layout is immutable and shared by every client serving the configuration; the counts are per client.
type evalLayout struct {
	labels []evalKey
}

// newEvalLayout assigns the slots of every flag and split in flags.
func newEvalLayout(flags map[string]*flag) *evalLayout {
	l := &evalLayout{}
	for key, f := range flags {
		f.evalBase = len(l.labels)
		for o := range numOutcomes {
			l.labels = append(l.labels, evalKey{flag: key, outcome: o})
		}
		for i := range f.allocations {
			a := &f.allocations[i]
			for j := range a.splits {
				s := &a.splits[j]
				s.evalSlot = len(l.labels)
				l.labels = append(l.labels, evalKey{flag: key, variation: s.variationKey, outcome: splitReason(a, s)})
			}
		}
	}
	return l
}

func splitReason(a *allocation, s *split) outcome {
	switch {
	case len(a.rules) > 0:
		return servedTargetingMatch
	case len(s.shards) > 0:
		return servedSplit
	}
	return servedStatic
}

// evalStripes is how many copies of its counters a slab keeps. An evaluation adds to one copy picked at
// random, so that goroutines counting the same flag at once rarely share a cache line: on 2 cores, one
// shared counter made BenchmarkGetStringAssignmentParallel 20 % slower, while the striped counters cost
// what BenchmarkEvaluationCounter/striped shows (a few ns over none).
const evalStripes = 8

// evalSlab holds one client's counts for one layout: evalStripes copies of the layout's counters, each
// copy stride counters long (rounded up to whole cache lines, so that two copies never share one).
type evalSlab struct {
	layout *evalLayout
	stride int
	n      []atomic.Uint64
}

func newEvalSlab(l *evalLayout) *evalSlab {
	stride := (len(l.labels) + 7) &^ 7
	return &evalSlab{layout: l, stride: stride, n: make([]atomic.Uint64, evalStripes*stride)}
}

// add counts one evaluation of slot.
func (s *evalSlab) add(slot int) { s.n[int(rand.Uint32()%evalStripes)*s.stride+slot].Add(1) }

// load sums slot over the copies.
func (s *evalSlab) load(slot int) uint64 {
	var n uint64
	for i := slot; i < len(s.n); i += s.stride {
		n += s.n[i].Load()
	}
	return n
}

// evalCounts is a client's evaluation counters. The slab of the configuration being served is found with
// one atomic load; the first evaluation after a configuration change takes the mutex to start a new slab.
// The replaced slab stays countable (prev) until the next change, so that evaluations still running on
// the old configuration are counted; the one before it is folded into past.
type evalCounts struct {
	cur atomic.Pointer[evalSlab]

	mu   sync.Mutex
	prev *evalSlab
	past map[evalKey]uint64
	// loose counts outcomes that name no flag of a configuration, by outcome.
	loose [numOutcomes]atomic.Uint64
}

// countMatch counts a served variation: the assignment path's only cost for counting.
func (c *Client) countMatch(cfg *Configuration, sp *split) { c.count(cfg, sp.evalSlot) }

func (c *Client) count(cfg *Configuration, slot int) {
	if s := c.evals.cur.Load(); s != nil && s.layout == cfg.evals {
		s.add(slot)
		return
	}
	c.countSlow(cfg, slot)
}

// countFailure counts an assignment that returned err, against flagKey when the configuration has it.
func (c *Client) countFailure(flagKey string, err error) {
	o := outcomeOf(err)
	if cfg := c.config.Load(); cfg != nil && cfg.evals != nil {
		if f := cfg.flags[flagKey]; f != nil {
			c.count(cfg, f.evalBase+int(o))
			return
		}
	}
	c.evals.loose[o].Add(1)
}

// countSlow counts slot of cfg's layout when it is not the current slab's.
func (c *Client) countSlow(cfg *Configuration, slot int) {
	l := cfg.evals
	if l == nil {
		return
	}
	e := &c.evals
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.cur.Load(); s != nil && s.layout == l {
		s.add(slot)
		return
	}
	if served := c.config.Load(); served != nil && served.evals == l {
		// The first count on the configuration now served: its slab becomes current (a configuration
		// served again, e.g. A B A, gets its previous slab back), the current one is kept as prev and
		// the older one folded into the totals.
		s := e.prev
		if s == nil || s.layout != l {
			if s != nil {
				e.fold(s)
			}
			s = newEvalSlab(l)
		}
		e.prev = e.cur.Load()
		s.add(slot)
		e.cur.Store(s)
		return
	}
	if e.prev != nil && e.prev.layout == l {
		e.prev.add(slot)
		return
	}
	// A configuration replaced before it got a slab of its own (or after its slab was folded).
	e.addPast(l.labels[slot], 1)
}

func (e *evalCounts) addPast(k evalKey, n uint64) {
	if e.past == nil {
		e.past = make(map[evalKey]uint64)
	}
	e.past[k] += n
}

// fold adds a retired slab's counts to past. The caller holds e.mu.
func (e *evalCounts) fold(s *evalSlab) {
	for i := range s.layout.labels {
		if n := s.load(i); n > 0 {
			e.addPast(s.layout.labels[i], n)
		}
	}
}

func (e *evalCounts) snapshot() []EvaluationCount {
	e.mu.Lock()
	totals := make(map[evalKey]uint64, len(e.past))
	for k, n := range e.past {
		totals[k] += n
	}
	for _, s := range []*evalSlab{e.prev, e.cur.Load()} {
		if s == nil {
			continue
		}
		for i := range s.layout.labels {
			if n := s.load(i); n > 0 {
				totals[s.layout.labels[i]] += n
			}
		}
	}
	e.mu.Unlock()
	for o := range e.loose {
		if n := e.loose[o].Load(); n > 0 {
			totals[evalKey{outcome: outcome(o)}] += n
		}
	}
	out := make([]EvaluationCount, 0, len(totals))
	for k, n := range totals {
		label := outcomeLabels[k.outcome]
		out = append(out, EvaluationCount{Flag: k.flag, Variation: k.variation, Reason: label.reason,
			ErrorType: label.errorType, Count: n})
	}
	slices.SortFunc(out, func(a, b EvaluationCount) int {
		return cmp.Or(cmp.Compare(a.Flag, b.Flag), cmp.Compare(a.Variation, b.Variation),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.ErrorType, b.ErrorType))
	})
	return out
}
