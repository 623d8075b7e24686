package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/eppokit/eppokit/core/internal/jsonerr"
)

// VariationType is a flag's declared value type.
type VariationType uint8

// Variation types of the UFC format.
const (
	TypeString VariationType = iota + 1
	TypeInteger
	TypeNumeric
	TypeBoolean
	TypeJSON
)

var variationTypeNames = [...]string{TypeString: "STRING", TypeInteger: "INTEGER", TypeNumeric: "NUMERIC",
	TypeBoolean: "BOOLEAN", TypeJSON: "JSON"}

// String returns the UFC name of the type ("STRING", "INTEGER", ...).
func (t VariationType) String() string {
	if int(t) < len(variationTypeNames) && t > 0 {
		return variationTypeNames[t]
	}
	return fmt.Sprintf("VariationType(%d)", uint8(t))
}

func parseVariationType(s string) (VariationType, bool) {
	for t, name := range variationTypeNames {
		if name != "" && name == s {
			return VariationType(t), true
		}
	}
	return 0, false
}

// Configuration is a parsed, compiled and immutable flags (and bandits) configuration. Build one with
// [NewConfiguration] and hand it to a [Client]; it is safe to share between clients and goroutines.
type Configuration struct {
	flags       map[string]*flag
	environment string
	createdAt   time.Time
	// banditIndex maps flag key → variation value → bandit key, from the legacy "bandits" links when present,
	// otherwise from banditReferences.
	banditIndex map[string]map[string]string
	// banditVersions maps bandit key → model version referenced by the flags (banditReferences).
	banditVersions map[string]string
	bandits        *banditModels
	evals          *evalLayout // numbers the per-flag evaluation counters (evalcounts.go)
}

// NewConfiguration parses Eppo's flags configuration (the CDN's /flag-config/v1/config response, "UFC")
// and, optionally, its bandit models (/flag-config/v1/bandits); banditsJSON may be nil.
//
// Everything is parsed and compiled here, once: regular expressions, numbers, semantic versions, dates.
// A flag that cannot be compiled (unknown variation type or operator, invalid regular expression, a
// bandit link of the wrong shape, ...) does not reject the configuration: that flag answers with the
// default value and an error wrapping [ErrFlagConfiguration] that names the cause, and
// [Configuration.FlagErrors] lists it. Input that is not
// a configuration at all (empty, malformed JSON, obfuscated "CLIENT" format) returns an error wrapping
// [ErrInvalidConfiguration].
func NewConfiguration(flagsJSON, banditsJSON []byte) (*Configuration, error) {
	if len(bytes.TrimSpace(flagsJSON)) == 0 {
		return nil, fmt.Errorf("%w: flags configuration is empty", ErrInvalidConfiguration)
	}
	var w wireConfig
	if err := json.Unmarshal(flagsJSON, &w); err != nil {
		return nil, fmt.Errorf("%w: flags configuration: %s", ErrInvalidConfiguration, jsonerr.Describe(err))
	}
	if w.Flags == nil {
		return nil, fmt.Errorf("%w: flags configuration has no \"flags\" object", ErrInvalidConfiguration)
	}
	if strings.EqualFold(w.Format, "CLIENT") {
		return nil, fmt.Errorf("%w: obfuscated (CLIENT) configurations are not supported; use a server SDK key",
			ErrInvalidConfiguration)
	}
	c := &Configuration{
		flags:       make(map[string]*flag, len(w.Flags)),
		environment: w.Environment.Name,
	}
	if t, err := time.Parse(time.RFC3339Nano, w.CreatedAt); err == nil {
		c.createdAt = t
	}
	for key, raw := range w.Flags {
		c.flags[key] = compileFlag(key, raw)
	}
	c.evals = newEvalLayout(c.flags)
	links := compileBanditLinks(w.Bandits, w.BanditReferences, c.flags)
	c.banditIndex, c.banditVersions = links.index, links.versions
	for key, cause := range links.broken {
		if f := c.flags[key]; f != nil && f.err == nil {
			f.err = flagError(key, ErrFlagConfiguration, cause)
		}
	}
	if len(bytes.TrimSpace(banditsJSON)) > 0 {
		models, err := parseBanditModels(banditsJSON)
		if err != nil {
			return nil, fmt.Errorf("%w: bandit models: %w", ErrInvalidConfiguration, err)
		}
		c.bandits = models
	}
	return c, nil
}

// Environment returns the configuration's environment name ("" if it had none).
func (c *Configuration) Environment() string { return c.environment }

// CreatedAt returns when the configuration was published (zero if unknown).
func (c *Configuration) CreatedAt() time.Time { return c.createdAt }

// FlagKeys returns the keys of every flag in the configuration, sorted.
func (c *Configuration) FlagKeys() []string {
	keys := make([]string, 0, len(c.flags))
	for k := range c.flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FlagErrors returns, by flag key, what is wrong with each flag's configuration; every error wraps
// [ErrFlagConfiguration] and names the flag and the cause. It lists the flags that could not be compiled
// (they serve defaults) and the flags with splits that name an undefined variation (such a split serves
// the default when selected; the rest of the flag serves normally).
func (c *Configuration) FlagErrors() map[string]error {
	errs := map[string]error{}
	for k, f := range c.flags {
		switch {
		case f.err != nil:
			errs[k] = f.err
		case len(f.splitProblems) > 0:
			errs[k] = flagError(k, ErrFlagConfiguration, strings.Join(f.splitProblems, "; "))
		}
	}
	return errs
}

// flag is a compiled flag.
type flag struct {
	key           string
	enabled       bool
	vtype         VariationType
	variations    map[string]*variation
	allocations   []allocation
	totalShards   uint32
	salts         []string
	splitProblems []string
	err           error // non-nil: the flag is unusable and serves defaults with this error
	// digest identifies the flag's configuration as received, for Configuration.ChangedFlags.
	digest   flagDigest
	evalBase int // its first evaluation counter (evalcounts.go)
}

type variation struct {
	raw   json.RawMessage
	err   error // the value does not fit the flag's type
	str   string
	i     int64
	f     float64
	b     bool
	jsonB []byte // JSON flags: the inner text
	jsonV any    // JSON flags: its parse
}

type allocation struct {
	key        string
	experiment string
	rules      []rule
	startAt    time.Time
	endAt      time.Time
	hasStart   bool
	hasEnd     bool
	splits     []split
	doLog      bool
}

type rule struct {
	conditions []condition
	wire       wireRule // kept for evaluation details
}

type split struct {
	variationKey string
	variation    *variation // nil when the key is dangling: an error only if selected
	shards       []shardSpec
	rawShards    int // shard count as configured, for details wording
	extraLogging map[string]string
	evalSlot     int // its evaluation counter (evalcounts.go)
}

type shardSpec struct {
	salt   int // index into flag.salts
	ranges []wireRange
}

// compileFlag never fails: problems are recorded in flag.err (the whole flag) or variation.err (one value).
func compileFlag(key string, raw json.RawMessage) *flag {
	f := &flag{key: key}
	var w wireFlag
	if err := json.Unmarshal(raw, &w); err != nil {
		f.err = flagError(key, ErrFlagConfiguration, "malformed flag: "+jsonerr.Describe(err))
		f.digest = rawDigest(raw)
		return f
	}
	f.digest = digestOf(w)
	f.enabled = w.Enabled
	vt, ok := parseVariationType(w.VariationType)
	if !ok {
		f.err = flagError(key, ErrFlagConfiguration, fmt.Sprintf("unknown variation type %q", w.VariationType))
		return f
	}
	f.vtype = vt
	total := int64(10000)
	if w.TotalShards != nil {
		total = *w.TotalShards
	}
	if total <= 0 || total > math.MaxUint32 {
		f.err = flagError(key, ErrFlagConfiguration, fmt.Sprintf("totalShards %d out of range", total))
		return f
	}
	f.totalShards = uint32(total)
	f.variations = make(map[string]*variation, len(w.Variations))
	for vk, wv := range w.Variations {
		f.variations[vk] = compileVariation(vt, vk, wv.Value)
	}
	saltIndex := map[string]int{}
	for _, wa := range w.Allocations {
		a, err := f.compileAllocation(wa, saltIndex)
		if err != nil {
			f.err = flagError(key, ErrFlagConfiguration, err.Error())
			return f
		}
		f.allocations = append(f.allocations, a)
	}
	return f
}

func (f *flag) compileAllocation(wa wireAllocation, saltIndex map[string]int) (allocation, error) {
	a := allocation{key: wa.Key, experiment: f.key + "-" + wa.Key, doLog: wa.DoLog == nil || *wa.DoLog}
	var err error
	if wa.StartAt != nil {
		if a.startAt, err = time.Parse(time.RFC3339Nano, *wa.StartAt); err != nil {
			return a, fmt.Errorf("allocation %q: invalid startAt: %w", wa.Key, err)
		}
		a.hasStart = true
	}
	if wa.EndAt != nil {
		if a.endAt, err = time.Parse(time.RFC3339Nano, *wa.EndAt); err != nil {
			return a, fmt.Errorf("allocation %q: invalid endAt: %w", wa.Key, err)
		}
		a.hasEnd = true
	}
	for _, wr := range wa.Rules {
		r := rule{wire: wr}
		for _, wc := range wr.Conditions {
			c, err := compileCondition(wc)
			if err != nil {
				return a, fmt.Errorf("allocation %q: %w", wa.Key, err)
			}
			r.conditions = append(r.conditions, c)
		}
		a.rules = append(a.rules, r)
	}
	for _, ws := range wa.Splits {
		s := split{variationKey: ws.VariationKey, variation: f.variations[ws.VariationKey],
			rawShards: len(ws.Shards), extraLogging: ws.ExtraLogging}
		if s.variation == nil {
			f.splitProblems = append(f.splitProblems, fmt.Sprintf("allocation %q: a split names variation %q, which is not defined",
				wa.Key, ws.VariationKey))
		}
		for _, wsh := range ws.Shards {
			if fullRange(wsh.Ranges, f.totalShards) {
				continue // matches every subject: no need to hash
			}
			idx, ok := saltIndex[wsh.Salt]
			if !ok {
				idx = len(f.salts)
				saltIndex[wsh.Salt] = idx
				f.salts = append(f.salts, wsh.Salt)
			}
			s.shards = append(s.shards, shardSpec{salt: idx, ranges: wsh.Ranges})
		}
		a.splits = append(a.splits, s)
	}
	return a, nil
}

func fullRange(ranges []wireRange, total uint32) bool {
	for _, r := range ranges {
		if r.Start <= 0 && r.End >= int64(total) {
			return true
		}
	}
	return false
}

// compileVariation decodes a variation value for the flag's type; a value that does not fit is kept with
// its error and only fails an assignment that selects it.
func compileVariation(vt VariationType, key string, raw json.RawMessage) *variation {
	v := &variation{raw: raw}
	var err error
	switch vt {
	case TypeString:
		err = json.Unmarshal(raw, &v.str)
	case TypeInteger:
		v.i, err = decodeInteger(raw)
	case TypeNumeric:
		err = json.Unmarshal(raw, &v.f)
		if err == nil && (math.IsNaN(v.f) || math.IsInf(v.f, 0)) {
			err = errors.New("not a finite number")
		}
	case TypeBoolean:
		err = json.Unmarshal(raw, &v.b)
	case TypeJSON:
		var text string
		if err = json.Unmarshal(raw, &text); err == nil {
			v.jsonB = []byte(text)
			err = json.Unmarshal(v.jsonB, &v.jsonV)
		}
	}
	if err != nil {
		v.err = fmt.Errorf("variation %q is configured for type %s, but is set to incompatible value (%s): %s",
			key, vt, raw, jsonerr.Describe(err))
	}
	return v
}

// decodeInteger accepts integral JSON numbers, including forms such as 3.0 or 1e2 (as Eppo's Rust and JS
// SDKs do); a fractional value is an error.
func decodeInteger(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, err
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
}
