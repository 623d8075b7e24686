package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/eppokit/eppokit/core/internal/jsonerr"
)

// banditLinks is what the flags configuration says about bandits.
type banditLinks struct {
	index    map[string]map[string]string // flag key → variation value → bandit key
	versions map[string]string            // bandit key → model version the flags reference
	broken   map[string]string            // flag key → why its bandit link is unusable
}

// linkParser decodes the two link sections entry by entry, so that an entry of the wrong shape disables
// only the flags it links instead of rejecting the configuration.
type linkParser struct {
	linked     map[string][]string // bandit key → flags linked to it by well-formed entries
	badBandits map[string]string   // bandit key → cause, for a problem whose flag is not known
	broken     map[string]string   // flag key → cause
}

// compileBanditLinks builds the flag → variation value → bandit index from the legacy "bandits" section
// when present, otherwise from "banditReferences", and the referenced model versions from the latter.
//
// A malformed entry that names its flag breaks that flag. A malformed entry that does not (or a whole
// section of the wrong shape) breaks the flags that well-formed entries of either section link to the
// same bandit; when none do, it breaks the STRING flags with a variation whose value is the bandit key,
// which is how Eppo names bandit variations.
func compileBanditLinks(legacyRaw, refsRaw json.RawMessage, flags map[string]*flag) banditLinks {
	p := &linkParser{linked: map[string][]string{}, badBandits: map[string]string{}, broken: map[string]string{}}
	legacy, legacyPresent, legacyErr := p.legacy(legacyRaw)
	refs, versions, refsPresent, refsErr := p.references(refsRaw)

	// A section of the wrong shape breaks every bandit the other section links.
	if legacyErr != "" {
		for _, v := range refs {
			p.badBandit(v.Key, legacyErr)
		}
	}
	if refsErr != "" {
		for _, v := range legacy {
			p.badBandit(v.Key, refsErr)
		}
	}

	for _, key := range sortedKeys(p.badBandits) {
		cause := p.badBandits[key]
		targets := p.linked[key]
		if len(targets) == 0 {
			targets = flagsServing(flags, key)
		}
		for _, f := range targets {
			p.brokenFlag(f, cause)
		}
	}

	links := refs
	if legacyPresent || !refsPresent {
		links = legacy
	}
	index := map[string]map[string]string{}
	for _, v := range links {
		m := index[v.FlagKey]
		if m == nil {
			m = map[string]string{}
			index[v.FlagKey] = m
		}
		m[v.VariationValue] = v.Key
	}
	return banditLinks{index: index, versions: versions, broken: p.broken}
}

// legacy decodes "bandits": bandit key → list of flag variations.
func (p *linkParser) legacy(raw json.RawMessage) (links []wireBanditVariation, present bool, sectionErr string) {
	if isNull(raw) {
		return nil, false, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, true, `bandit links: the "bandits" section: ` + jsonerr.Describe(err)
	}
	for _, key := range sortedKeys(m) {
		links = append(links, p.variations(fmt.Sprintf("bandits[%q]", key), key, m[key])...)
	}
	return links, true, ""
}

// references decodes "banditReferences": bandit key → {modelVersion, flagVariations}.
func (p *linkParser) references(raw json.RawMessage) (links []wireBanditVariation, versions map[string]string, present bool, sectionErr string) {
	versions = map[string]string{}
	if isNull(raw) {
		return nil, versions, false, ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, versions, true, `bandit links: the "banditReferences" section: ` + jsonerr.Describe(err)
	}
	for _, key := range sortedKeys(m) {
		where := fmt.Sprintf("banditReferences[%q]", key)
		var ref wireBanditReference
		if err := json.Unmarshal(m[key], &ref); err != nil {
			p.badBandit(key, fmt.Sprintf("bandit link %s: %s", where, jsonerr.Describe(err)))
			continue
		}
		if !isNull(ref.ModelVersion) {
			var v string
			if err := json.Unmarshal(ref.ModelVersion, &v); err != nil {
				p.badBandit(key, fmt.Sprintf("bandit link %s: modelVersion: %s", where, jsonerr.Describe(err)))
			} else {
				versions[key] = v
			}
		}
		if !isNull(ref.FlagVariations) {
			links = append(links, p.variations(where+".flagVariations", key, ref.FlagVariations)...)
		}
	}
	return links, versions, true, ""
}

// variations decodes a list of flag variations linked to banditKey, keeping the well-formed ones.
func (p *linkParser) variations(where, banditKey string, raw json.RawMessage) []wireBanditVariation {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.badBandit(banditKey, fmt.Sprintf("bandit link %s: %s", where, jsonerr.Describe(err)))
		return nil
	}
	out := make([]wireBanditVariation, 0, len(items))
	for i, item := range items {
		var v wireBanditVariation
		if err := json.Unmarshal(item, &v); err != nil {
			cause := fmt.Sprintf("bandit link %s[%d]: %s", where, i, jsonerr.Describe(err))
			var probe struct {
				FlagKey any `json:"flagKey"`
			}
			if json.Unmarshal(item, &probe) == nil {
				if flagKey, ok := probe.FlagKey.(string); ok && flagKey != "" {
					p.brokenFlag(flagKey, cause)
					continue
				}
			}
			p.badBandit(banditKey, cause)
			continue
		}
		p.link(banditKey, v.FlagKey)
		if v.Key != banditKey {
			p.link(v.Key, v.FlagKey)
		}
		out = append(out, v)
	}
	return out
}

func (p *linkParser) link(banditKey, flagKey string) {
	if !slices.Contains(p.linked[banditKey], flagKey) {
		p.linked[banditKey] = append(p.linked[banditKey], flagKey)
	}
}

// badBandit and brokenFlag keep the first cause found (sections and keys are visited in a fixed order).
func (p *linkParser) badBandit(banditKey, cause string) {
	if _, ok := p.badBandits[banditKey]; !ok {
		p.badBandits[banditKey] = cause
	}
}

func (p *linkParser) brokenFlag(flagKey, cause string) {
	if _, ok := p.broken[flagKey]; !ok {
		p.broken[flagKey] = cause
	}
}

// flagsServing returns the STRING flags with a variation whose value is value, sorted.
func flagsServing(flags map[string]*flag, value string) []string {
	var out []string
	for key, f := range flags {
		if f.err != nil || f.vtype != TypeString {
			continue
		}
		for _, v := range f.variations {
			if v.err == nil && v.str == value {
				out = append(out, key)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
