package core

import (
	"encoding/json"
	"math"
	"strconv"
)

// valueKind is what an attribute value is, once normalised: every Go number kind is a number, bools and
// strings stay what they are, nil is null.
type valueKind uint8

const (
	kindAbsent valueKind = iota
	kindNull
	kindString
	kindNumber
	kindBool
	// kindOther is any Go type without a canonical mapping (structs, slices, pointers, maps, ...).
	// It is present and not null, but has no string or number form: every operator but IS_NULL is false.
	kindOther
)

// attrValue is a normalised attribute value. Integers keep their exact form for stringification.
type attrValue struct {
	kind valueKind
	s    string
	f    float64
	b    bool
	// exact integer forms: intForm 1 = signed i, 2 = unsigned u; bits32 marks a float32 source.
	intForm uint8
	i       int64
	u       uint64
	bits32  bool
}

// normalize maps a Go value to the attribute model. It never allocates.
func normalize(v any) attrValue {
	switch x := v.(type) {
	case nil:
		return attrValue{kind: kindNull}
	case string:
		return attrValue{kind: kindString, s: x}
	case bool:
		return attrValue{kind: kindBool, b: x}
	case float64:
		return attrValue{kind: kindNumber, f: x}
	case float32:
		return attrValue{kind: kindNumber, f: float64(x), bits32: true}
	case int:
		return signed(int64(x))
	case int8:
		return signed(int64(x))
	case int16:
		return signed(int64(x))
	case int32:
		return signed(int64(x))
	case int64:
		return signed(x)
	case uint:
		return unsigned(uint64(x))
	case uint8:
		return unsigned(uint64(x))
	case uint16:
		return unsigned(uint64(x))
	case uint32:
		return unsigned(uint64(x))
	case uint64:
		return unsigned(x)
	case uintptr:
		return unsigned(uint64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return signed(i)
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return attrValue{kind: kindNumber, f: f}
		}
		return attrValue{kind: kindString, s: string(x)}
	}
	return attrValue{kind: kindOther}
}

func signed(i int64) attrValue {
	return attrValue{kind: kindNumber, f: float64(i), intForm: 1, i: i}
}

func unsigned(u uint64) attrValue {
	return attrValue{kind: kindNumber, f: float64(u), intForm: 2, u: u}
}

// appendString appends the value's string form (numbers without exponent and integral ones without ".0",
// bools as "true"/"false") and reports whether it has one.
// Strings are not appended (use v.s directly); callers handle kindString first.
func (v *attrValue) appendString(buf []byte) ([]byte, bool) {
	switch v.kind {
	case kindBool:
		return strconv.AppendBool(buf, v.b), true
	case kindNumber:
		switch v.intForm {
		case 1:
			return strconv.AppendInt(buf, v.i, 10), true
		case 2:
			return strconv.AppendUint(buf, v.u, 10), true
		}
		return appendNumber(buf, v.f, v.bits32), true
	}
	return buf, false
}

// appendNumber formats f as the shortest round-trip decimal without exponent ("10", "2.5").
func appendNumber(buf []byte, f float64, bits32 bool) []byte {
	if bits32 {
		return strconv.AppendFloat(buf, f, 'f', -1, 32)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, 64)
}

// FormatNumber renders a number the way string operators and categorical bandit attributes see it:
// the shortest round-trip decimal, without exponent, integral values without ".0" (123456789 → "123456789").
func FormatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// number returns the value as a float64 for numeric comparisons: numbers as-is, strings parsed
// as decimal floats; everything else, and NaN, gives ok=false.
func (v *attrValue) number() (float64, bool) {
	switch v.kind {
	case kindNumber:
		return v.f, !math.IsNaN(v.f)
	case kindString:
		return parseDecimal(v.s)
	}
	return 0, false
}

// parseDecimal parses a plain decimal number. It rejects what strconv accepts beyond that (underscores,
// hex, "Inf", "NaN") so that "0x10" or "1_0" never compare as numbers.
func parseDecimal(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
