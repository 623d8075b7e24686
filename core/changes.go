package core

import (
	"crypto/sha256"
	"encoding/json"
	"slices"
)

// flagDigest identifies one flag's configuration: the SHA-256 of its canonical JSON, so a configuration
// keeps 32 bytes per flag rather than the text.
type flagDigest [sha256.Size]byte

// digestOf hashes the flag re-encoded from the fields eppokit reads, so key order, whitespace and
// fields that do not affect evaluation make no difference.
func digestOf(w wireFlag) flagDigest {
	canonical, err := json.Marshal(w)
	if err != nil { // not expected: w was just decoded from JSON
		return flagDigest{}
	}
	return sha256.Sum256(canonical)
}

// rawDigest hashes a flag that does not decode at all, as received.
func rawDigest(raw []byte) flagDigest { return sha256.Sum256(raw) }

// ChangedFlags returns, sorted, the keys of the flags whose configuration differs between prev and c:
// flags added, removed, or with any field eppokit evaluates changed (formatting, key order and fields
// eppokit does not read do not count). A nil prev counts as a configuration without flags. Listeners
// registered with [Client.OnConfigurationChange] use it to tell which flags a swap
// touched (OpenFeature's PROVIDER_CONFIGURATION_CHANGED carries exactly those keys).
func (c *Configuration) ChangedFlags(prev *Configuration) []string {
	changed := []string{}
	var cur, old map[string]*flag
	if c != nil {
		cur = c.flags
	}
	if prev != nil {
		old = prev.flags
	}
	for key, f := range cur {
		if p, ok := old[key]; !ok || p.digest != f.digest {
			changed = append(changed, key)
		}
	}
	for key := range old {
		if _, ok := cur[key]; !ok {
			changed = append(changed, key)
		}
	}
	slices.Sort(changed)
	return changed
}

// AllocationTraits describes how one allocation of a flag assigns and logs, for adapters that report
// evaluations in another vocabulary (OpenFeature's SPLIT versus STATIC reasons, a doLog flag).
type AllocationTraits struct {
	// DoLog: assignments from this allocation are logged as exposures.
	DoLog bool
	// Sharded: at least one of its splits takes only part of the traffic, so which subjects get which
	// variation depends on the hash of their key. A single split covering every shard is not sharded.
	Sharded bool
}

// Allocation returns the traits of the allocation with that key in the flag, and false when the flag
// or the allocation is absent (or the flag could not be compiled).
func (c *Configuration) Allocation(flagKey, allocationKey string) (AllocationTraits, bool) {
	if c == nil {
		return AllocationTraits{}, false
	}
	f := c.flags[flagKey]
	if f == nil || f.err != nil {
		return AllocationTraits{}, false
	}
	for i := range f.allocations {
		a := &f.allocations[i]
		if a.key != allocationKey {
			continue
		}
		t := AllocationTraits{DoLog: a.doLog}
		for _, s := range a.splits {
			t.Sharded = t.Sharded || len(s.shards) > 0 // full-range shards were dropped at compile time
		}
		return t, true
	}
	return AllocationTraits{}, false
}
