package core

import (
	"math"
	"strconv"
)

// Attributes are a subject's attributes for flag evaluation. Values may be strings, bools, nil, or any Go
// integer or float kind (json.Number too). Other types (structs, slices, pointers, maps) are present but
// have no string or number form: every operator except IS_NULL is false for them.
type Attributes map[string]any

// ContextAttributes are the attributes of a subject or an action as a contextual bandit sees them.
type ContextAttributes struct {
	NumericAttributes     map[string]float64
	CategoricalAttributes map[string]string
}

// InferContextAttributes splits generic attributes the way Eppo's SDKs do: every Go number
// kind becomes numeric (non-finite numbers are dropped, as missing), strings and bools become categorical
// ("true"/"false"), and anything else, nil included, is dropped.
func InferContextAttributes(attrs Attributes) ContextAttributes {
	ctx := ContextAttributes{NumericAttributes: map[string]float64{}, CategoricalAttributes: map[string]string{}}
	for k, v := range attrs {
		n := normalize(v)
		switch n.kind {
		case kindNumber:
			if finite(n.f) {
				ctx.NumericAttributes[k] = n.f
			}
		case kindString:
			ctx.CategoricalAttributes[k] = n.s
		case kindBool:
			ctx.CategoricalAttributes[k] = strconv.FormatBool(n.b)
		}
	}
	return ctx
}

// CleanContextAttributes builds ContextAttributes from loosely typed maps, such as JSON decoded into
// map[string]any (as Eppo's ".dynamic-typing." conformance files hold them): the numeric map keeps only finite
// numbers (strings, bools and nulls are dropped and count as missing); the categorical map keeps strings,
// stringifies numbers (303 → "303") and bools, and drops nulls and anything else.
func CleanContextAttributes(numeric, categorical map[string]any) ContextAttributes {
	ctx := ContextAttributes{
		NumericAttributes:     make(map[string]float64, len(numeric)),
		CategoricalAttributes: make(map[string]string, len(categorical)),
	}
	for k, v := range numeric {
		if n := normalize(v); n.kind == kindNumber && finite(n.f) {
			ctx.NumericAttributes[k] = n.f
		}
	}
	var buf [32]byte
	for k, v := range categorical {
		n := normalize(v)
		if n.kind == kindString {
			ctx.CategoricalAttributes[k] = n.s
		} else if b, ok := n.appendString(buf[:0]); ok {
			ctx.CategoricalAttributes[k] = string(b)
		}
	}
	return ctx
}

// flatten merges the maps for flag evaluation: numeric first, categorical overwriting on a shared key.
func (c ContextAttributes) flatten() Attributes {
	attrs := make(Attributes, len(c.NumericAttributes)+len(c.CategoricalAttributes))
	for k, v := range c.NumericAttributes {
		attrs[k] = v
	}
	for k, v := range c.CategoricalAttributes {
		attrs[k] = v
	}
	return attrs
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
