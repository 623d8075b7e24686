package bandit

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/eppokit/eppokit/core/internal/shard"
)

// totalShards is the fixed shard count of bandit action selection, independent of any flag.
const totalShards = 10000

// maxPooledActions bounds the scratch space kept between calls, so one huge call does not pin memory.
const maxPooledActions = 4096

// Selection is the action a model chose and the numbers a bandit event records about it.
type Selection struct {
	// Key is the chosen action's key.
	Key string
	// Probability is the chosen action's weight, in [0, 1].
	Probability float64
	// OptimalityGap is the best score minus the chosen action's score (a score difference, ≥ 0).
	OptimalityGap float64
}

// scratch holds the per-call slices of [Model.Select], reused through the model's pool.
type scratch struct {
	scores  []float64
	weights []float64
	order   []ranked
	subject subjectView
}

// ranked is an action's place in the selection walk: by shard, then by key.
type ranked struct {
	shard uint32
	idx   int
}

// Select chooses one of actions for a subject: it scores every action, gives each non-best
// action max(floor/n, 1/(n + γ·gap)) and the best (highest score, ties to the smallest key) the remainder, then
// walks the actions ordered by shard(flagKey-subjectKey-actionKey) and returns the first whose cumulative
// weight exceeds shard(flagKey-subjectKey)/10000 (the last one if rounding leaves none).
//
// The result depends only on its inputs. It fails with [ErrNoActions] for an empty slice and
// [ErrDuplicateAction] when two actions share a key. Select is safe for concurrent use and, after warm-up,
// does not allocate.
func (m *Model) Select(flagKey, subjectKey string, subjectNumeric map[string]float64, subjectCategorical map[string]string, actions []Action) (Selection, error) {
	n := len(actions)
	if n == 0 {
		return Selection{}, ErrNoActions
	}
	sc := m.scratch(n)
	defer m.release(sc)

	scores, weights, order := sc.scores[:n], sc.weights[:n], sc.order[:n]
	m.subject.resolve(subjectNumeric, subjectCategorical, sc.subject)
	best := m.scoreAll(sc.subject, actions, scores)

	for i := range actions {
		order[i] = ranked{shard: shard.Of(totalShards, flagKey, subjectKey, actions[i].Key), idx: i}
	}
	slices.SortFunc(order, func(a, b ranked) int {
		if c := cmp.Compare(a.shard, b.shard); c != 0 {
			return c
		}
		return strings.Compare(actions[a.idx].Key, actions[b.idx].Key)
	})
	// Equal keys hash alike, so duplicates end up adjacent.
	for i := 1; i < n; i++ {
		if actions[order[i].idx].Key == actions[order[i-1].idx].Key {
			return Selection{}, ErrDuplicateAction
		}
	}

	m.weigh(scores, best, order, weights)

	threshold := float64(shard.Of(totalShards, flagKey, subjectKey)) / totalShards
	chosen := order[n-1].idx
	var cumulative float64
	for _, r := range order {
		cumulative += weights[r.idx]
		if cumulative > threshold {
			chosen = r.idx
			break
		}
	}
	return Selection{
		Key:           actions[chosen].Key,
		Probability:   weights[chosen],
		OptimalityGap: gap(scores[best], scores[chosen]),
	}, nil
}

// scoreAll fills scores and returns the index of the best action: the highest score, ties to the smallest key.
func (m *Model) scoreAll(subject subjectView, actions []Action, scores []float64) int {
	best := 0
	for i := range actions {
		s := m.score(subject, actions[i])
		scores[i] = s
		if s > scores[best] || (s == scores[best] && actions[i].Key < actions[best].Key) {
			best = i
		}
	}
	return best
}

// weigh fills weights by inverse gap weighting with a floor. best is the index of the best score.
// The remainder is summed in selection order, so the best action's weight does not depend on the order the
// caller listed the actions in (callers often build them from a map). With gamma ≥ 0 and a floor in [0, 1]
// (both checked at compile time) every non-best weight is at most 1/n, so the best action's remainder is
// positive and the weights sum to 1 up to rounding.
func (m *Model) weigh(scores []float64, best int, order []ranked, weights []float64) {
	n := float64(len(scores))
	floor := m.floor / n
	remainder := 1.0
	for _, r := range order {
		i := r.idx
		if i == best {
			continue
		}
		w := max(floor, 1/(n+m.gamma*gap(scores[best], scores[i])))
		weights[i] = w
		remainder -= w
	}
	weights[best] = max(0, remainder)
}

// gap is best − s, capped at MaxFloat64 so that γ·gap is never ∞·0.
func gap(best, s float64) float64 {
	return min(best-s, math.MaxFloat64)
}

func (m *Model) scratch(n int) *scratch {
	sc, _ := m.pool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	if cap(sc.scores) < n {
		sc.scores = make([]float64, n)
		sc.weights = make([]float64, n)
		sc.order = make([]ranked, n)
	}
	if sc.subject.numeric == nil {
		sc.subject = subjectView{
			numeric:     make([]float64, len(m.subject.numeric)),
			categorical: make([]int, len(m.subject.categorical)),
		}
	}
	return sc
}

func (m *Model) release(sc *scratch) {
	if cap(sc.scores) <= maxPooledActions {
		m.pool.Put(sc)
	}
}
