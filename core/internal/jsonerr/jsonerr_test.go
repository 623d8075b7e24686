package jsonerr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	type inner struct {
		Value string `json:"variationValue"`
	}
	type doc struct {
		Bandits map[string][]inner `json:"bandits"`
		Shards  int64              `json:"totalShards"`
		On      bool               `json:"enabled"`
	}
	for _, tc := range []struct{ in, want string }{
		{`{"bandits": []}`, `"bandits" is an array, want an object`},
		{`{"bandits": {"b": [{"variationValue": 5}]}}`, `"bandits.variationValue" is a number, want a string`},
		{`{"totalShards": 1.5}`, `"totalShards" is the number 1.5, want an integer`},
		{`{"enabled": "yes"}`, `"enabled" is a string, want a boolean`},
		{`[1]`, `the value is an array, want an object`},
		{`{"bandits": `, `malformed JSON at byte 12: unexpected end of JSON input`},
		{`{"bandits" 1}`, `malformed JSON at byte 12: invalid character '1' after object key`},
	} {
		var d doc
		err := json.Unmarshal([]byte(tc.in), &d)
		if err == nil {
			t.Fatalf("%s: no error", tc.in)
		}
		got := Describe(err)
		if got != tc.want {
			t.Errorf("Describe(%s) = %q, want %q", tc.in, got, tc.want)
		}
		for _, leak := range []string{"Go ", "jsonerr.", "doc", "inner", "map[", "json:"} {
			if strings.Contains(got, leak) {
				t.Errorf("Describe(%s) = %q names Go plumbing (%q)", tc.in, got, leak)
			}
		}
	}
}

func TestKind(t *testing.T) {
	var v []any
	if err := json.Unmarshal([]byte(`[null, "s", 1, true, [], {}]`), &v); err != nil {
		t.Fatal(err)
	}
	want := []string{"null", "a string", "a number", "a boolean", "an array", "an object"}
	for i, x := range v {
		if got := Kind(x); got != want[i] {
			t.Errorf("Kind(%v) = %q, want %q", x, got, want[i])
		}
	}
}
