package openfeature

import (
	"encoding/json"
	"reflect"

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
// map[string]any values flattened with dots. Slices, nil and other types have no Eppo attribute form
// and are dropped.
func addAttribute(attrs core.Attributes, key string, v any) {
	switch x := v.(type) {
	case string, bool, float64:
		attrs[key] = x
		return
	case json.Number:
		if f, err := x.Float64(); err == nil {
			attrs[key] = f
		}
		return
	case map[string]any:
		for k, inner := range x {
			addAttribute(attrs, key+"."+k, inner)
		}
		return
	case nil:
		return
	}
	switch rv := reflect.ValueOf(v); rv.Kind() { // other numbers, named types included
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		attrs[key] = float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		attrs[key] = float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		attrs[key] = rv.Float()
	case reflect.String:
		attrs[key] = rv.String()
	case reflect.Bool:
		attrs[key] = rv.Bool()
	}
}
