package eppotest

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/eppokit/eppokit/core"
)

// The UFC shapes the builders emit: the subset of Eppo's format they need, written in the field order of
// Eppo's own files.

const (
	totalShards = 10000
	// createdAt is fixed so that the same builders always produce the same bytes.
	createdAt   = "2024-01-01T00:00:00.000Z"
	environment = "Test"
	// saltPrefix + flag key is the salt of a flag's Split: fixed, so assignments are reproducible.
	saltPrefix = "eppotest-split-"
)

// Allocation keys of the emitted flags, as they appear in evaluation details and assignment events.
const (
	// AllocationSubjectsPrefix + variation key: subjects targeted with ForSubject.
	AllocationSubjectsPrefix = "subjects-"
	// AllocationRulePrefix + 1-based rule number: the rules added with IfAttr, in order.
	AllocationRulePrefix = "rule-"
	// AllocationForAll: the variation set by ForAll or Else.
	AllocationForAll = "everyone"
	// AllocationSplit: the shares set by Split.
	AllocationSplit = "split"
)

type ufcConfig struct {
	CreatedAt   string                          `json:"createdAt"`
	Format      string                          `json:"format"`
	Environment ufcEnvironment                  `json:"environment"`
	Flags       map[string]ufcFlag              `json:"flags"`
	Bandits     map[string][]ufcBanditVariation `json:"bandits,omitempty"`
}

type ufcEnvironment struct {
	Name string `json:"name"`
}

type ufcFlag struct {
	Key           string                  `json:"key"`
	Enabled       bool                    `json:"enabled"`
	VariationType string                  `json:"variationType"`
	Variations    map[string]ufcVariation `json:"variations"`
	Allocations   []ufcAllocation         `json:"allocations"`
	TotalShards   int                     `json:"totalShards"`
}

type ufcVariation struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type ufcAllocation struct {
	Key    string     `json:"key"`
	Rules  []ufcRule  `json:"rules,omitempty"`
	Splits []ufcSplit `json:"splits"`
	DoLog  bool       `json:"doLog"`
}

type ufcRule struct {
	Conditions []ufcCondition `json:"conditions"`
}

type ufcCondition struct {
	Attribute string   `json:"attribute"`
	Operator  string   `json:"operator"`
	Value     []string `json:"value"`
}

type ufcSplit struct {
	VariationKey string     `json:"variationKey"`
	Shards       []ufcShard `json:"shards"`
}

type ufcShard struct {
	Salt   string     `json:"salt"`
	Ranges []ufcRange `json:"ranges"`
}

type ufcRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// encodeUFC renders the flags (keyed by flag key) as a UFC document and, when a flag has a bandit, the
// bandit models response. encoding/json sorts map keys, so the output depends only on the builders.
func encodeUFC(flags map[string]*FlagBuilder) (ufc, bandits []byte) {
	doc := ufcConfig{CreatedAt: createdAt, Format: "SERVER", Environment: ufcEnvironment{Name: environment},
		Flags: make(map[string]ufcFlag, len(flags))}
	for key, b := range flags {
		doc.Flags[key] = b.ufc()
	}
	doc.Bandits, bandits = encodeBandits(flags, slices.Sorted(maps.Keys(flags)))
	out, err := json.Marshal(doc)
	if err != nil { // every field is a string, number, bool or valid raw JSON
		panic("eppotest: encoding UFC: " + err.Error())
	}
	return out, bandits
}

func (b *FlagBuilder) ufc() ufcFlag {
	vt := b.vtype
	if vt == 0 {
		vt = core.TypeString
	}
	f := ufcFlag{Key: b.key, Enabled: !b.disabled, VariationType: vt.String(),
		Variations: make(map[string]ufcVariation, len(b.variations)), Allocations: []ufcAllocation{},
		TotalShards: totalShards}
	for _, v := range b.variations {
		f.Variations[v.key] = ufcVariation{Key: v.key, Value: v.raw}
	}
	// Targets: one allocation per variation, in the order variations were declared.
	bySubject := map[string][]string{}
	for _, t := range b.targets {
		bySubject[t.variation] = append(bySubject[t.variation], t.subject)
	}
	for _, v := range b.variations {
		if subjects := bySubject[v.key]; len(subjects) > 0 {
			f.Allocations = append(f.Allocations, ufcAllocation{Key: AllocationSubjectsPrefix + v.key,
				Rules:  []ufcRule{{Conditions: []ufcCondition{{Attribute: "id", Operator: "ONE_OF", Value: subjects}}}},
				Splits: everyone(v.key), DoLog: true})
		}
	}
	for i, r := range b.rules {
		conds := make([]ufcCondition, len(r.conditions))
		for j, c := range r.conditions {
			conds[j] = ufcCondition{Attribute: c.attribute, Operator: "ONE_OF", Value: slices.Clone(c.values)}
		}
		f.Allocations = append(f.Allocations, ufcAllocation{Key: AllocationRulePrefix + strconv.Itoa(i+1),
			Rules: []ufcRule{{Conditions: conds}}, Splits: everyone(r.variation), DoLog: true})
	}
	switch b.fall.kind {
	case fallVariation:
		f.Allocations = append(f.Allocations, ufcAllocation{Key: AllocationForAll, Splits: everyone(b.fall.variation), DoLog: true})
	case fallSplit:
		if len(b.fall.shares) > 0 {
			f.Allocations = append(f.Allocations, ufcAllocation{Key: AllocationSplit, Splits: b.splits(), DoLog: true})
		}
	}
	return f
}

// everyone is a split list that gives key to every subject reaching the allocation.
func everyone(key string) []ufcSplit {
	return []ufcSplit{{VariationKey: key, Shards: []ufcShard{}}}
}

// splits lays the shares out as consecutive shard ranges, in variation key order.
func (b *FlagBuilder) splits() []ufcSplit {
	out := make([]ufcSplit, 0, len(b.fall.shares))
	start := 0
	for _, s := range b.fall.shares {
		end := start + s.percent*totalShards/100
		out = append(out, ufcSplit{VariationKey: s.variation,
			Shards: []ufcShard{{Salt: saltPrefix + b.key, Ranges: []ufcRange{{Start: start, End: end}}}}})
		start = end
	}
	return out
}
