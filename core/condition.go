package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/eppokit/eppokit/core/internal/jsonerr"
)

type operator uint8

const (
	opMatches operator = iota + 1
	opNotMatches
	opOneOf
	opNotOneOf
	opGTE
	opGT
	opLTE
	opLT
	opIsNull
)

var operatorNames = map[string]operator{
	"MATCHES": opMatches, "NOT_MATCHES": opNotMatches, "ONE_OF": opOneOf, "NOT_ONE_OF": opNotOneOf,
	"GTE": opGTE, "GT": opGT, "LTE": opLTE, "LT": opLT, "IS_NULL": opIsNull,
}

// compareMode says how a GT/GTE/LT/LTE condition compares: numerically when the configured value is a
// number or a numeric string, by semantic version when it is a version string.
type compareMode uint8

const (
	compareNever compareMode = iota
	compareNumeric
	compareSemver
)

// setThreshold is the list length above which ONE_OF uses a map instead of a linear scan.
const setThreshold = 8

// condition is a compiled targeting condition: everything that can be parsed is parsed here, once.
type condition struct {
	attribute string
	op        operator
	re        *regexp.Regexp
	// literal is the prefix every match of re must contain; literalOnly means the pattern is that literal,
	// so a substring search decides the match without running the regexp engine.
	literal     string
	literalOnly bool
	list        []string
	set         map[string]struct{}
	mode        compareMode
	num         float64
	semver      semVersion
	wantNull    bool
}

// compileCondition parses a wire condition. An error makes the whole flag unusable (it names the cause).
func compileCondition(w wireCondition) (condition, error) {
	c := condition{attribute: w.Attribute}
	op, ok := operatorNames[w.Operator]
	if !ok {
		return c, fmt.Errorf("unknown operator %q on attribute %q", w.Operator, w.Attribute)
	}
	c.op = op
	switch op {
	case opMatches, opNotMatches:
		var pattern string
		if err := json.Unmarshal(w.Value, &pattern); err != nil {
			return c, fmt.Errorf("%s on attribute %q needs a string pattern: %s", w.Operator, w.Attribute, jsonerr.Describe(err))
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return c, fmt.Errorf("invalid regular expression for attribute %q: %w", w.Attribute, err)
		}
		c.re = re
		c.literal, _ = re.LiteralPrefix()
		c.literalOnly = c.literal != "" && regexp.QuoteMeta(c.literal) == pattern
	case opOneOf, opNotOneOf:
		list, err := compileList(w.Value)
		if err != nil {
			return c, fmt.Errorf("%s on attribute %q needs an array of strings: %s", w.Operator, w.Attribute, err)
		}
		c.list = list
		if len(c.list) > setThreshold {
			c.set = make(map[string]struct{}, len(c.list))
			for _, s := range c.list {
				c.set[s] = struct{}{}
			}
		}
	case opGTE, opGT, opLTE, opLT:
		c.mode, c.num, c.semver = compileComparand(w.Value)
	case opIsNull:
		if err := json.Unmarshal(w.Value, &c.wantNull); err != nil {
			return c, fmt.Errorf("IS_NULL on attribute %q needs a boolean: %s", w.Attribute, jsonerr.Describe(err))
		}
	}
	return c, nil
}

// compileComparand decides the comparison mode from the condition value: a semver string, else a number or
// numeric string, else never true.
func compileComparand(raw json.RawMessage) (compareMode, float64, semVersion) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return compareNever, 0, semVersion{}
	}
	switch x := v.(type) {
	case string:
		if sv, ok := parseSemver(x); ok {
			return compareSemver, 0, sv
		}
		if f, ok := parseDecimal(x); ok {
			return compareNumeric, f, semVersion{}
		}
	case float64:
		if !math.IsNaN(x) {
			return compareNumeric, x, semVersion{}
		}
	}
	return compareNever, 0, semVersion{}
}

// matches evaluates the condition against a normalised attribute value.
func (c *condition) matches(v attrValue) bool {
	var buf [32]byte // stringified numbers and bools; the stack suffices
	if c.op == opIsNull {
		isNull := v.kind == kindAbsent || v.kind == kindNull
		return isNull == c.wantNull
	}
	switch c.op {
	case opMatches, opNotMatches:
		var found, ok bool
		if v.kind == kindString {
			found, ok = c.search(v.s), true
		} else {
			var b []byte
			b, ok = v.appendString(buf[:0])
			// regexp keeps its input reachable, so a []byte would force buf onto the heap on every call;
			// converting here allocates only on this rare path (MATCHES on a number or bool).
			found = ok && c.search(string(b))
		}
		if !ok {
			return false
		}
		return found == (c.op == opMatches)
	case opOneOf, opNotOneOf:
		var in, ok bool
		if v.kind == kindString {
			in, ok = c.contains(v.s), true
		} else {
			var b []byte
			b, ok = v.appendString(buf[:0])
			in = ok && c.containsBytes(b)
		}
		if !ok {
			return false
		}
		return in == (c.op == opOneOf)
	}
	return c.compare(v)
}

// search runs an unanchored regexp search, skipping the engine when the literal decides.
func (c *condition) search(s string) bool {
	if c.literal != "" {
		if !strings.Contains(s, c.literal) {
			return false
		}
		if c.literalOnly {
			return true
		}
	}
	return c.re.MatchString(s)
}

func (c *condition) contains(s string) bool {
	if c.set != nil {
		_, ok := c.set[s]
		return ok
	}
	for _, x := range c.list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *condition) containsBytes(b []byte) bool {
	if c.set != nil {
		_, ok := c.set[string(b)] // no allocation: the compiler recognises map lookups by string(bytes)
		return ok
	}
	for _, x := range c.list {
		if x == string(b) {
			return true
		}
	}
	return false
}

func (c *condition) compare(v attrValue) bool {
	var cmp int
	switch c.mode {
	case compareNumeric:
		f, ok := v.number()
		if !ok {
			return false
		}
		switch {
		case f < c.num:
			cmp = -1
		case f > c.num:
			cmp = 1
		}
	case compareSemver:
		if v.kind != kindString {
			return false
		}
		sv, ok := parseSemver(v.s)
		if !ok {
			return false
		}
		cmp = sv.compare(c.semver)
	default:
		return false
	}
	switch c.op {
	case opGTE:
		return cmp >= 0
	case opGT:
		return cmp > 0
	case opLTE:
		return cmp <= 0
	case opLT:
		return cmp < 0
	}
	return false
}

// compileList decodes a ONE_OF list. Numbers and bools are accepted and stringified like attribute values;
// nulls, objects and arrays are a configuration error.
func compileList(raw json.RawMessage) ([]string, error) {
	var items []any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New(jsonerr.Describe(err))
	}
	list := make([]string, 0, len(items))
	for i, item := range items {
		switch x := item.(type) {
		case string:
			list = append(list, x)
		case float64:
			list = append(list, FormatNumber(x))
		case bool:
			list = append(list, strconv.FormatBool(x))
		default:
			return nil, fmt.Errorf("item %d is %s", i, jsonerr.Kind(item))
		}
	}
	return list, nil
}
