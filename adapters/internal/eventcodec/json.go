package eventcodec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eppokit/eppokit/core"
)

// ErrUnsupportedValue reports a value JSON cannot carry (NaN, ±Inf, or an attribute of a type encoding/json
// rejects).
var ErrUnsupportedValue = errors.New("eventcodec: value cannot be encoded as JSON")

// AppendAssignmentJSON appends e as one JSON object to dst. Every column is present, in the order of
// [AssignmentColumns]; absent maps are written as {} so that table loaders see a fixed shape. With room in
// dst it does not allocate (for attribute maps of up to 16 keys whose values are strings, bools, numbers
// or nil).
func AppendAssignmentJSON(dst []byte, e *core.AssignmentEvent, n Naming) ([]byte, error) {
	keys := assignmentKeys[n.index()]
	var err error
	dst = append(dst, '{')
	dst = AppendString(append(dst, keys[aFeatureFlag]...), e.FeatureFlag)
	dst = AppendString(append(dst, keys[aAllocation]...), e.Allocation)
	dst = AppendString(append(dst, keys[aExperiment]...), e.Experiment)
	dst = AppendString(append(dst, keys[aVariation]...), e.Variation)
	dst = AppendString(append(dst, keys[aSubject]...), e.Subject)
	if dst, err = AppendAttributes(append(dst, keys[aSubjectAttributes]...), e.SubjectAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", assignmentNames[n.index()][aSubjectAttributes], err)
	}
	dst = appendTimestamp(append(dst, keys[aTimestamp]...), e.Timestamp)
	dst = AppendMetadata(append(dst, keys[aMetadata]...), e.MetaData)
	dst = AppendStringMap(append(dst, keys[aExtraLogging]...), e.ExtraLogging)
	return append(dst, '}'), nil
}

// AppendBanditJSON appends e as one JSON object to dst, its fields in the order of [BanditColumns].
// Absent maps are written as {}. With room in dst it does not allocate (for maps of up to 16 keys).
func AppendBanditJSON(dst []byte, e *core.BanditEvent, n Naming) ([]byte, error) {
	keys := banditKeys[n.index()]
	names := &banditNames[n.index()]
	var err error
	dst = append(dst, '{')
	dst = appendTimestamp(append(dst, keys[bTimestamp]...), e.Timestamp)
	dst = AppendString(append(dst, keys[bFlagKey]...), e.FlagKey)
	dst = AppendString(append(dst, keys[bBanditKey]...), e.BanditKey)
	dst = AppendString(append(dst, keys[bSubject]...), e.Subject)
	dst = AppendString(append(dst, keys[bAction]...), e.Action)
	if dst, err = AppendFloat(append(dst, keys[bActionProbability]...), e.ActionProbability); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bActionProbability], err)
	}
	if dst, err = AppendFloat(append(dst, keys[bOptimalityGap]...), e.OptimalityGap); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bOptimalityGap], err)
	}
	dst = AppendString(append(dst, keys[bModelVersion]...), e.ModelVersion)
	if dst, err = AppendFloatMap(append(dst, keys[bSubjectNumeric]...), e.SubjectNumericAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bSubjectNumeric], err)
	}
	dst = AppendStringMap(append(dst, keys[bSubjectCategorical]...), e.SubjectCategoricalAttributes)
	if dst, err = AppendFloatMap(append(dst, keys[bActionNumeric]...), e.ActionNumericAttributes); err != nil {
		return dst, fmt.Errorf("%s: %w", names[bActionNumeric], err)
	}
	dst = AppendStringMap(append(dst, keys[bActionCategorical]...), e.ActionCategoricalAttributes)
	dst = AppendMetadata(append(dst, keys[bMetadata]...), e.MetaData)
	return append(dst, '}'), nil
}

// Field keys as they appear in the output, `"name":` for the first field and `,"name":` after it,
// indexed like assignmentNames and banditNames. They are read-only.
var (
	assignmentKeys = [2][]string{jsonKeys(assignmentNames[0][:]), jsonKeys(assignmentNames[1][:])}
	banditKeys     = [2][]string{jsonKeys(banditNames[0][:]), jsonKeys(banditNames[1][:])}
)

func jsonKeys(names []string) []string {
	keys := make([]string, len(names))
	for i, name := range names {
		var b []byte
		if i > 0 {
			b = append(b, ',')
		}
		keys[i] = string(append(AppendString(b, name), ':'))
	}
	return keys
}

func appendTimestamp(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	return append(core.AppendTimestamp(dst, t), '"')
}

// defaultMetadataJSON is how AppendMetadata writes the metadata core puts in every event.
var defaultMetadataJSON = string(appendMetadata(nil,
	core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion}))

// AppendMetadata appends m as {"sdkName":…,"sdkLanguage":…,"sdkVersion":…}, the same object under either
// naming (sdkLanguage and sdkVersion are the keys Eppo's own SDKs write).
func AppendMetadata(dst []byte, m core.Metadata) []byte {
	if m.SDKName == core.SDKName && m.SDKLanguage == core.SDKLanguage && m.SDKVersion == core.SDKVersion {
		return append(dst, defaultMetadataJSON...)
	}
	return appendMetadata(dst, m)
}

func appendMetadata(dst []byte, m core.Metadata) []byte {
	dst = AppendString(append(dst, `{"sdkName":`...), m.SDKName)
	dst = AppendString(append(dst, `,"sdkLanguage":`...), m.SDKLanguage)
	dst = AppendString(append(dst, `,"sdkVersion":`...), m.SDKVersion)
	return append(dst, '}')
}

// AppendStringMap appends m as a JSON object with sorted keys; nil is written as {}.
func AppendStringMap(dst []byte, m map[string]string) []byte {
	var stack [sortOnStack]entry[string]
	dst = append(dst, '{')
	for i, kv := range sortedEntries(stack[:0], m) {
		dst = AppendString(appendKey(dst, kv.key, i > 0), kv.val)
	}
	return append(dst, '}')
}

// AppendFloatMap appends m as a JSON object with sorted keys; nil is written as {}.
func AppendFloatMap(dst []byte, m map[string]float64) ([]byte, error) {
	var stack [sortOnStack]entry[float64]
	dst = append(dst, '{')
	var err error
	for i, kv := range sortedEntries(stack[:0], m) {
		if dst, err = AppendFloat(appendKey(dst, kv.key, i > 0), kv.val); err != nil {
			return dst, fmt.Errorf("%q: %w", kv.key, err)
		}
	}
	return append(dst, '}'), nil
}

// AppendAttributes appends subject attributes as a JSON object with sorted keys; nil is written as {}.
// Strings, bools, nil and Go numbers are written directly; other values go through encoding/json.
func AppendAttributes(dst []byte, m core.Attributes) ([]byte, error) {
	var stack [sortOnStack]entry[any]
	dst = append(dst, '{')
	var err error
	for i, kv := range sortedEntries(stack[:0], m) {
		if dst, err = appendValue(appendKey(dst, kv.key, i > 0), kv.val); err != nil {
			return dst, fmt.Errorf("%q: %w", kv.key, err)
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
	// Whole numbers (counts, ages, prices in cents) are common attribute values; below 2^53 their
	// shortest rendering is their integer digits, which strconv.AppendInt writes about 3x faster
	// (BenchmarkAppendFloat). Zero stays with AppendFloat, which keeps the sign of -0.
	if bits == 64 && f != 0 && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10), nil
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

func appendKey(dst []byte, key string, comma bool) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = AppendString(dst, key)
	return append(dst, ':')
}

// sortOnStack is how many map entries are sorted in an array on the caller's stack; larger maps
// allocate one slice.
const sortOnStack = 16

type entry[V any] struct {
	key string
	val V
}

// sortedEntries appends m's entries to dst in key order; JSON objects are written with sorted keys so
// that equal events encode to equal bytes.
func sortedEntries[V any](dst []entry[V], m map[string]V) []entry[V] {
	for k, v := range m {
		dst = append(dst, entry[V]{k, v})
	}
	if len(dst) > 1 {
		slices.SortFunc(dst, func(a, b entry[V]) int { return strings.Compare(a.key, b.key) })
	}
	return dst
}
