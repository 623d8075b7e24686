package core

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

// editFlags parses flags-v1.json, lets edit change its "flags" object, and builds a Configuration.
func editFlags(t *testing.T, edit func(flags map[string]json.RawMessage)) *Configuration {
	t.Helper()
	var doc map[string]json.RawMessage
	mustUnmarshal(t, readFile(t, filepath.Join(ufcDir(t), "flags-v1.json")), &doc)
	var flags map[string]json.RawMessage
	mustUnmarshal(t, doc["flags"], &flags)
	edit(flags)
	doc["flags"] = mustJSON(t, flags)
	cfg, err := NewConfiguration(mustJSON(t, doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestChangedFlags(t *testing.T) {
	base := editFlags(t, func(map[string]json.RawMessage) {})
	// base was re-encoded (keys sorted, whitespace gone): against the file as written nothing changed.
	asWritten, err := NewConfiguration(readFile(t, filepath.Join(ufcDir(t), "flags-v1.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := base.ChangedFlags(asWritten); len(got) != 0 {
		t.Errorf("same flags, other formatting: ChangedFlags = %v, want none", got)
	}

	annotated := editFlags(t, func(flags map[string]json.RawMessage) {
		var f map[string]any
		mustUnmarshal(t, flags["integer-flag"], &f)
		f["notes"] = "a field eppokit does not read"
		flags["integer-flag"] = mustJSON(t, f)
	})
	if got := annotated.ChangedFlags(base); len(got) != 0 {
		t.Errorf("an unread field added: ChangedFlags = %v, want none", got)
	}

	next := editFlags(t, func(flags map[string]json.RawMessage) {
		var f map[string]any
		mustUnmarshal(t, flags["kill-switch"], &f)
		f["enabled"] = false // one field of one flag
		flags["kill-switch"] = mustJSON(t, f)
		delete(flags, "numeric_flag")
		flags["brand-new"] = json.RawMessage(`{"key":"brand-new","enabled":true,"variationType":"STRING","variations":{},"allocations":[]}`)
	})
	want := []string{"brand-new", "kill-switch", "numeric_flag"}
	if got := next.ChangedFlags(base); !reflect.DeepEqual(got, want) {
		t.Errorf("ChangedFlags = %v, want %v", got, want)
	}
	if got := base.ChangedFlags(next); !reflect.DeepEqual(got, want) {
		t.Errorf("reverse ChangedFlags = %v, want %v", got, want)
	}
	if got := base.ChangedFlags(nil); len(got) != len(base.FlagKeys()) {
		t.Errorf("ChangedFlags(nil) lists %d flags, want all %d", len(got), len(base.FlagKeys()))
	}
}

func TestAllocationTraits(t *testing.T) {
	cfg, err := NewConfiguration([]byte(`{"flags":{"f":{"key":"f","enabled":true,"variationType":"STRING",
		"variations":{"a":{"key":"a","value":"A"},"b":{"key":"b","value":"B"}},
		"allocations":[
		 {"key":"everyone","doLog":false,"splits":[{"variationKey":"a","shards":[{"salt":"s","ranges":[{"start":0,"end":10000}]}]}]},
		 {"key":"no-shards","splits":[{"variationKey":"a","shards":[]}]},
		 {"key":"half","doLog":true,"splits":[
		   {"variationKey":"a","shards":[{"salt":"s","ranges":[{"start":0,"end":5000}]}]},
		   {"variationKey":"b","shards":[{"salt":"s","ranges":[{"start":5000,"end":10000}]}]}]}]}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag, alloc string
		want        AllocationTraits
		found       bool
	}{
		{"f", "everyone", AllocationTraits{DoLog: false, Sharded: false}, true},
		{"f", "no-shards", AllocationTraits{DoLog: true, Sharded: false}, true}, // doLog defaults to true
		{"f", "half", AllocationTraits{DoLog: true, Sharded: true}, true},
		{"f", "missing", AllocationTraits{}, false},
		{"nope", "half", AllocationTraits{}, false},
	} {
		got, ok := cfg.Allocation(tc.flag, tc.alloc)
		if got != tc.want || ok != tc.found {
			t.Errorf("Allocation(%q, %q) = %+v, %v; want %+v, %v", tc.flag, tc.alloc, got, ok, tc.want, tc.found)
		}
	}
	var none *Configuration
	if _, ok := none.Allocation("f", "half"); ok {
		t.Error("a nil configuration reported an allocation")
	}
}
