package eppotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/eppokit/eppokit/core"
)

// encoded is a flag value in UFC form: the variation key naming it and its wire value.
type encoded struct {
	key string
	raw json.RawMessage
}

// inferType picks the variation type of a flag whose type was never set from the first value it is given.
func inferType(v any) core.VariationType {
	switch v.(type) {
	case string:
		return core.TypeString
	case bool:
		return core.TypeBoolean
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return core.TypeInteger
	case float32, float64:
		return core.TypeNumeric
	}
	return core.TypeJSON
}

// encode converts v to the flag type vt. The variation key is the value's text: the string itself, the
// decimal number, "true"/"false", or the compact JSON text.
func encode(vt core.VariationType, v any) (encoded, error) {
	switch vt {
	case core.TypeString:
		s, ok := v.(string)
		if !ok {
			return encoded{}, fmt.Errorf("value %v is %T, the flag is STRING", v, v)
		}
		raw, _ := json.Marshal(s)
		return encoded{key: s, raw: raw}, nil
	case core.TypeInteger:
		i, ok := asInt64(v)
		if !ok {
			return encoded{}, fmt.Errorf("value %v is %T, the flag is INTEGER (use a Go integer in int64 range)", v, v)
		}
		text := strconv.FormatInt(i, 10)
		return encoded{key: text, raw: json.RawMessage(text)}, nil
	case core.TypeNumeric:
		f, ok := asFloat64(v)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return encoded{}, fmt.Errorf("value %v is %T, the flag is NUMERIC (use a finite Go number)", v, v)
		}
		raw, _ := json.Marshal(f)
		return encoded{key: strconv.FormatFloat(f, 'f', -1, 64), raw: raw}, nil
	case core.TypeBoolean:
		b, ok := v.(bool)
		if !ok {
			return encoded{}, fmt.Errorf("value %v is %T, the flag is BOOLEAN", v, v)
		}
		text := strconv.FormatBool(b)
		return encoded{key: text, raw: json.RawMessage(text)}, nil
	case core.TypeJSON:
		text, err := jsonText(v)
		if err != nil {
			return encoded{}, err
		}
		raw, _ := json.Marshal(text) // a JSON flag's value is a string holding the JSON text
		return encoded{key: text, raw: raw}, nil
	}
	return encoded{}, fmt.Errorf("unknown variation type %v", vt)
}

// jsonText is the compact JSON text of v: json.RawMessage is taken as written, anything else is marshaled.
func jsonText(v any) (string, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return "", fmt.Errorf("value of type %T cannot be a JSON variation: %w", v, err)
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", fmt.Errorf("json.RawMessage %q is not JSON: %w", raw, err)
	}
	return buf.String(), nil
}

// decodeKey turns a variation key written as text (Split's map keys) back into a value of type vt.
func decodeKey(vt core.VariationType, key string) (any, error) {
	switch vt {
	case core.TypeInteger:
		return strconv.ParseInt(key, 10, 64)
	case core.TypeNumeric:
		return strconv.ParseFloat(key, 64)
	case core.TypeBoolean:
		return strconv.ParseBool(key)
	case core.TypeJSON:
		return json.RawMessage(key), nil
	}
	return key, nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

func asFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := asInt64(v); ok {
		return float64(i), true
	}
	return 0, false
}

// attributeText renders a rule value the way the evaluator stringifies attributes for ONE_OF: strings as
// they are, numbers in shortest decimal form without exponent, booleans as "true"/"false".
func attributeText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	if i, ok := asInt64(v); ok {
		return strconv.FormatInt(i, 10), nil
	}
	if f, ok := asFloat64(v); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("attribute value %v (%T) cannot be matched: use a string, bool or number", v, v)
}
