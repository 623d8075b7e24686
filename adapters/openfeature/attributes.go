package openfeature

import (
	"encoding/json"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

// subjectAndAttributes splits an OpenFeature context into Eppo's subject key and attributes.
func subjectAndAttributes(flatCtx of.FlattenedContext) (string, core.Attributes) {
	subject, _ := flatCtx[of.TargetingKey].(string)
	if len(flatCtx) == 0 || (len(flatCtx) == 1 && subject != "") {
		return subject, nil
	}
	attrs := make(core.Attributes, len(flatCtx))
	for k, v := range flatCtx {
		if k != of.TargetingKey {
			addAttribute(attrs, k, v)
		}
	}
	return subject, attrs
}

// addAttribute stores v under key in Eppo's terms: numbers as float64, strings and bools as they are,
// maps flattened with dots. Slices, nil and other types have no Eppo attribute form and are dropped.
func addAttribute(attrs core.Attributes, key string, v any) {
	switch x := v.(type) {
	case string, bool, float64:
		attrs[key] = x
	case float32:
		attrs[key] = float64(x)
	case int:
		attrs[key] = float64(x)
	case int8:
		attrs[key] = float64(x)
	case int16:
		attrs[key] = float64(x)
	case int32:
		attrs[key] = float64(x)
	case int64:
		attrs[key] = float64(x)
	case uint:
		attrs[key] = float64(x)
	case uint8:
		attrs[key] = float64(x)
	case uint16:
		attrs[key] = float64(x)
	case uint32:
		attrs[key] = float64(x)
	case uint64:
		attrs[key] = float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			attrs[key] = f
		}
	case map[string]any:
		for k, inner := range x {
			addAttribute(attrs, key+"."+k, inner)
		}
	}
}
