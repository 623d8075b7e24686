package core

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func FuzzNewConfiguration(f *testing.F) {
	dir := filepath.Join("..", "testdata", "sdk-test-data", "ufc")
	for _, name := range []string{"flags-v1.json", "bandit-flags-v1.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "edge-cases", "flags.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"flags": {"f": {"key": "f", "enabled": true, "variationType": "STRING", "totalShards": 0}}}`))
	f.Add([]byte(`{"flags": {"f": {"key": "f", "enabled": true, "variationType": "INTEGER", "variations": {"a": {"key": "a", "value": 1e400}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := NewConfiguration(data, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfiguration) {
				t.Fatalf("error does not wrap ErrInvalidConfiguration: %v", err)
			}
			return
		}
		c, err := NewClient(Config{InitialConfiguration: cfg})
		if err != nil {
			t.Fatal(err)
		}
		attrs := Attributes{"country": "US", "age": 30, "email": "a@b.c", "version": "1.2.3"}
		for _, key := range cfg.FlagKeys() {
			for _, subject := range []string{"alice", "bob", "1"} {
				if _, _, err := c.GetStringAssignmentDetails(key, subject, attrs, "d"); err == nil {
					continue
				}
				c.GetIntegerAssignment(key, subject, attrs, 0)
				c.GetNumericAssignment(key, subject, attrs, 0)
				c.GetBooleanAssignment(key, subject, attrs, false)
				c.GetJSONAssignment(key, subject, attrs, nil)
			}
		}
	})
}

// FuzzEvaluation evaluates the conformance flags with random attribute values of every kind.
func FuzzEvaluation(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "sdk-test-data", "ufc", "flags-v1.json"))
	if err != nil {
		f.Fatalf("conformance flags missing: %v", err)
	}
	cfg, err := NewConfiguration(data, nil)
	if err != nil {
		f.Fatal(err)
	}
	c, err := NewClient(Config{InitialConfiguration: cfg})
	if err != nil {
		f.Fatal(err)
	}
	keys := cfg.FlagKeys()
	f.Add("alice", "country", "US", 1.5, int64(3), true, uint8(0))
	f.Add("", "id", "\xff", math.NaN(), int64(-1), false, uint8(7))
	f.Add("zach", "version", "1.15.0", math.Inf(1), int64(1)<<62, true, uint8(200))
	f.Fuzz(func(t *testing.T, subject, attr, s string, fl float64, i int64, b bool, which uint8) {
		attrs := Attributes{attr: s, "age": fl, "n": i, "flag": b, "f32": float32(fl), "nil": nil, "u": uint64(i)}
		key := keys[int(which)%len(keys)]
		v, d, err := c.GetStringAssignmentDetails(key, subject, attrs, "default")
		if err != nil && v != "default" {
			t.Fatalf("error %v came with a non-default value %q", err, v)
		}
		if err == nil && d.FlagEvaluationCode != CodeMatch {
			t.Fatalf("success with code %s", d.FlagEvaluationCode)
		}
		if n, err := c.GetIntegerAssignment(key, subject, attrs, -42); err != nil && n != -42 {
			t.Fatalf("error %v came with a non-default value %d", err, n)
		}
	})
}
