// Package jsonerr words encoding/json errors for the people who wrote the JSON: by JSON kinds and field
// names ("\"bandits\" is an array, want an object"), never by the Go types it was decoded into.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Describe returns a reader's description of a json.Unmarshal error: for a type mismatch, the field (its
// JSON path when known), the kind found and the kind wanted; for malformed input, the position and the
// problem. Other errors keep their message without the "json: " prefix.
func Describe(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		what := "the value"
		if te.Field != "" {
			what = fmt.Sprintf("%q", te.Field)
		}
		return fmt.Sprintf("%s is %s, want %s", what, found(te.Value), wanted(te.Type))
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, se.Error())
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Kind names the JSON kind of a value decoded into an any: "null", "a string", "a number", "a boolean",
// "an array" or "an object".
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unexpected value"
}

// found words UnmarshalTypeError.Value: "array", "object", "string", "number", "bool", or "number 3.5" for a
// number that does not fit.
func found(v string) string {
	switch v {
	case "array", "object":
		return "an " + v
	case "string", "number":
		return "a " + v
	case "bool":
		return "a boolean"
	}
	return "the " + v
}

func wanted(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return wanted(t.Elem())
	}
	return "another kind of value"
}
