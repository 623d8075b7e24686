// Package adapterstest holds what the adapters' tests share: realistic event batches, a canonical form to
// compare what a real peer received with what was sent, and a conformance suite ([RunSinkTests]) every
// [batching.Sink] in this module passes against its real peer.
package adapterstest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/eppokit/eppokit/adapters/internal/eventcodec"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// tricky are subject keys and variation names that break naive encoders: quotes, separators, line breaks,
// spreadsheet formula starters, non-ASCII and invalid UTF-8 fixed up.
var tricky = []string{
	`plain`, `with,comma`, `with "quotes"`, "multi\nline", "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)",
	"tab\tinside", "日本語-é", "'quoted", "",
}

// Events returns n events with unique IDs (prefix-0, prefix-1, ...): about one bandit event in five, the
// rest assignments, with string keys drawn from a set of awkward values. The same seed gives the same
// events.
func Events(prefix string, n int, seed uint64) []batching.Event {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	meta := core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion}
	out := make([]batching.Event, n)
	for i := range out {
		id := fmt.Sprintf("%s-%d", prefix, i)
		ts := base.Add(time.Duration(i) * time.Millisecond)
		subject := fmt.Sprintf("subject-%d%s", rng.IntN(1000), tricky[rng.IntN(len(tricky))])
		if rng.IntN(5) == 0 {
			out[i] = batching.Event{ID: id, Kind: batching.KindBandit, Bandit: &core.BanditEvent{
				FlagKey:                      "bandit-flag",
				BanditKey:                    "bandit-" + tricky[rng.IntN(len(tricky))],
				Subject:                      subject,
				Action:                       fmt.Sprintf("action-%d", rng.IntN(10)),
				ActionProbability:            float64(rng.IntN(1000)) / 1000,
				OptimalityGap:                float64(rng.IntN(100)) / 7,
				ModelVersion:                 "v1",
				Timestamp:                    ts,
				SubjectNumericAttributes:     map[string]float64{"age": float64(rng.IntN(90))},
				SubjectCategoricalAttributes: map[string]string{"country": "FR"},
				ActionNumericAttributes:      map[string]float64{"price": 9.5},
				ActionCategoricalAttributes:  map[string]string{"brand": tricky[rng.IntN(len(tricky))]},
				MetaData:                     meta,
			}}
			continue
		}
		flag := fmt.Sprintf("flag-%d", rng.IntN(20))
		alloc := "alloc-" + tricky[rng.IntN(len(tricky))]
		ev := &core.AssignmentEvent{
			FeatureFlag:       flag,
			Allocation:        alloc,
			Experiment:        flag + "-" + alloc,
			Variation:         tricky[rng.IntN(len(tricky))],
			Subject:           subject,
			SubjectAttributes: core.Attributes{"plan": "pro", "seats": float64(rng.IntN(50)), "beta": rng.IntN(2) == 0},
			Timestamp:         ts,
			MetaData:          meta,
		}
		if rng.IntN(3) == 0 {
			ev.ExtraLogging = map[string]string{"holdoutKey": "h-" + tricky[rng.IntN(len(tricky))]}
		}
		out[i] = batching.Event{ID: id, Kind: batching.KindAssignment, Assignment: ev}
	}
	return out
}

// SizedEvents returns n assignment events whose camelCase JSON encoding is size bytes (or the smallest
// possible when size is below that), for throughput benchmarks that fix the event size. Subjects cycle
// through 1000 keys.
func SizedEvents(prefix string, n, size int) []batching.Event {
	meta := core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion}
	ts := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	out := make([]batching.Event, n)
	for i := range out {
		a := &core.AssignmentEvent{
			FeatureFlag:       "checkout-flow",
			Allocation:        "experiment-2024",
			Experiment:        "checkout-flow-experiment-2024",
			Variation:         "treatment",
			Subject:           fmt.Sprintf("user-%06d", i%1000),
			SubjectAttributes: core.Attributes{"plan": "pro", "pad": ""},
			Timestamp:         ts.Add(time.Duration(i) * time.Millisecond),
			MetaData:          meta,
		}
		b, _ := eventcodec.AppendAssignmentJSON(nil, a, eventcodec.CamelCase) // always encodable
		if pad := size - len(b); pad > 0 {
			a.SubjectAttributes["pad"] = strings.Repeat("x", pad)
		}
		out[i] = batching.Event{ID: fmt.Sprintf("%s-%d", prefix, i), Kind: batching.KindAssignment, Assignment: a}
	}
	return out
}
