package eventcodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/eppokit/eppokit/core"
)

// ErrUnsupportedValue reports a value JSON cannot carry (NaN, ±Inf, or an attribute of a type encoding/json
// rejects).
var ErrUnsupportedValue = errors.New("eventcodec: value cannot be encoded as JSON")

// AppendAssignmentJSON appends e as one JSON object to dst. Every column is present, in the order of
// [AssignmentColumns]; absent maps are written as {} so that table loaders see a fixed shape.
func AppendAssignmentJSON(dst []byte, e *core.AssignmentEvent, n Naming) ([]byte, error) {
	names := &assignmentNames[n.index()]
	var err error
	dst = append(dst, '{')
	dst = appendStringField(dst, names[aFeatureFlag], e.FeatureFlag, false)
	dst = appendStringField(dst, names[aAllocation], e.Allocation, true)
	dst = appendStringField(dst, names[aExperiment], e.Experiment, true)
	dst = appendStringField(dst, names[aVariation], e.Variation, true)
	dst = appendStringField(dst, names[aSubject], e.Subject, true)
	dst = appendKey(dst, names[aSubjectAttributes], true)
	if dst, err = AppendAttributes(dst, e.SubjectAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", names[aSubjectAttributes], err)
	}
	dst = appendStringField(dst, names[aTimestamp], core.FormatTimestamp(e.Timestamp), true)
	dst = appendKey(dst, names[aMetadata], true)
	dst = AppendMetadata(dst, e.MetaData)
	dst = appendKey(dst, names[aExtraLogging], true)
	dst = AppendStringMap(dst, e.ExtraLogging)
	return append(dst, '}'), nil
}

// AppendBanditJSON appends e as one JSON object to dst, its fields in the order of [BanditColumns].
// Absent maps are written as {}.
func AppendBanditJSON(dst []byte, e *core.BanditEvent, n Naming) ([]byte, error) {
	names := &banditNames[n.index()]
	var err error
	dst = append(dst, '{')
	dst = appendStringField(dst, names[bTimestamp], core.FormatTimestamp(e.Timestamp), false)
	dst = appendStringField(dst, names[bFlagKey], e.FlagKey, true)
	dst = appendStringField(dst, names[bBanditKey], e.BanditKey, true)
	dst = appendStringField(dst, names[bSubject], e.Subject, true)
	dst = appendStringField(dst, names[bAction], e.Action, true)
	dst = appendKey(dst, names[bActionProbability], true)
	if dst, err = AppendFloat(dst, e.ActionProbability); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bActionProbability], err)
	}
	dst = appendKey(dst, names[bOptimalityGap], true)
	if dst, err = AppendFloat(dst, e.OptimalityGap); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bOptimalityGap], err)
	}
	dst = appendStringField(dst, names[bModelVersion], e.ModelVersion, true)
	dst = appendKey(dst, names[bSubjectNumeric], true)
	if dst, err = AppendFloatMap(dst, e.SubjectNumericAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bSubjectNumeric], err)
	}
	dst = appendKey(dst, names[bSubjectCategorical], true)
	dst = AppendStringMap(dst, e.SubjectCategoricalAttributes)
	dst = appendKey(dst, names[bActionNumeric], true)
	if dst, err = AppendFloatMap(dst, e.ActionNumericAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bActionNumeric], err)
	}
	dst = appendKey(dst, names[bActionCategorical], true)
	dst = AppendStringMap(dst, e.ActionCategoricalAttributes)
	dst = appendKey(dst, names[bMetadata], true)
	dst = AppendMetadata(dst, e.MetaData)
	return append(dst, '}'), nil
}

// AppendMetadata appends m as {"sdkName":…,"sdkLanguage":…,"sdkVersion":…}, the same object under either
// naming (sdkLanguage and sdkVersion are the keys Eppo's own SDKs write).
func AppendMetadata(dst []byte, m core.Metadata) []byte {
	dst = append(dst, '{')
	dst = appendStringField(dst, "sdkName", m.SDKName, false)
	dst = appendStringField(dst, "sdkLanguage", m.SDKLanguage, true)
	dst = appendStringField(dst, "sdkVersion", m.SDKVersion, true)
	return append(dst, '}')
}

// AppendStringMap appends m as a JSON object with sorted keys; nil is written as {}.
func AppendStringMap(dst []byte, m map[string]string) []byte {
	dst = append(dst, '{')
	for i, k := range sortedKeys(m) {
		dst = appendStringField(dst, k, m[k], i > 0)
	}
	return append(dst, '}')
}

// AppendFloatMap appends m as a JSON object with sorted keys; nil is written as {}.
func AppendFloatMap(dst []byte, m map[string]float64) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	for i, k := range sortedKeys(m) {
		dst = appendKey(dst, k, i > 0)
		if dst, err = AppendFloat(dst, m[k]); err != nil {
			return dst, fmt.Errorf("%q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

// AppendAttributes appends subject attributes as a JSON object with sorted keys; nil is written as {}.
// Strings, bools, nil and Go numbers are written directly; other values go through encoding/json.
func AppendAttributes(dst []byte, m core.Attributes) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	for i, k := range sortedKeys(m) {
		dst = appendKey(dst, k, i > 0)
		if dst, err = appendValue(dst, m[k]); err != nil {
			return dst, fmt.Errorf("%q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		return AppendFloat(dst, v)
	case float32:
		return appendFloatBits(dst, float64(v), 32)
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("%w: %w", ErrUnsupportedValue, err)
	}
	return append(dst, b...), nil
}

// AppendFloat appends f the way encoding/json writes a float64; NaN and ±Inf are an error.
func AppendFloat(dst []byte, f float64) ([]byte, error) { return appendFloatBits(dst, f, 64) }

func appendFloatBits(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%w: %v", ErrUnsupportedValue, f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Shorten a two-digit negative exponent the way encoding/json does: 1e-07 becomes 1e-7.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// AppendString appends s as a quoted JSON string. Invalid UTF-8 becomes U+FFFD, as with encoding/json.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but they end lines in JavaScript; encoding/json escapes them too.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendKey(dst []byte, key string, comma bool) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = AppendString(dst, key)
	return append(dst, ':')
}

func appendStringField(dst []byte, key, value string, comma bool) []byte {
	return AppendString(appendKey(dst, key, comma), value)
}

// sortedKeys returns m's keys in order; JSON objects are written with sorted keys so that equal events
// encode to equal bytes.
func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
