package core

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewConfigurationRejectsNonConfigurations(t *testing.T) {
	good := readFile(t, filepath.Join(ufcDir(t), "flags-v1.json"))
	cases := map[string][]byte{
		"empty":          nil,
		"whitespace":     []byte("  \n"),
		"malformed":      []byte(`{"flags": {`),
		"truncated":      good[:len(good)/2],
		"not an object":  []byte(`[1,2,3]`),
		"no flags":       []byte(`{"environment": {"name": "x"}}`),
		"obfuscated":     []byte(`{"format": "CLIENT", "flags": {}}`),
		"deeply nested":  []byte(strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)),
		"flags is array": []byte(`{"flags": []}`),
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := NewConfiguration(input, nil)
			if !errors.Is(err, ErrInvalidConfiguration) || cfg != nil {
				t.Fatalf("NewConfiguration = %v, %v; want nil and ErrInvalidConfiguration", cfg, err)
			}
		})
	}
	if _, err := NewConfiguration(good, []byte(`{not json`)); !errors.Is(err, ErrInvalidConfiguration) {
		t.Fatalf("malformed bandits: %v", err)
	}
}

// A bad flag serves defaults with a clear error; the other flags are unaffected.
func TestBadFlagIsIsolated(t *testing.T) {
	cfg, err := NewConfiguration([]byte(`{"flags": {
		"bad": {"key": "bad", "enabled": true, "variationType": "STRING",
			"variations": {"a": {"key": "a", "value": "a"}},
			"allocations": [{"key": "x", "rules": [{"conditions": [{"attribute": "s", "operator": "MATCHES", "value": "(a"}]}],
				"splits": [{"variationKey": "a", "shards": []}]}], "totalShards": 10000},
		"broken-json": {"key": 17},
		"good": {"key": "good", "enabled": true, "variationType": "STRING", "unknownField": [1],
			"variations": {"a": {"key": "a", "value": "A"}},
			"allocations": [{"key": "all", "splits": [{"variationKey": "a", "shards": []}]}], "totalShards": 10000}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	v, err := c.GetStringAssignment("bad", "s1", Attributes{"s": "a"}, "def")
	if v != "def" || !errors.Is(err, ErrFlagConfiguration) || !strings.Contains(err.Error(), `"bad"`) ||
		!strings.Contains(err.Error(), "regular expression") {
		t.Fatalf("bad flag: %q, %v", v, err)
	}
	if v, err := c.GetStringAssignment("good", "s1", nil, "def"); v != "A" || err != nil {
		t.Fatalf("good flag: %q, %v", v, err)
	}
	errs := cfg.FlagErrors()
	if len(errs) != 2 || errs["bad"] == nil || errs["broken-json"] == nil {
		t.Fatalf("FlagErrors = %v", errs)
	}
}

func TestLargeConfiguration(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"environment": {"name": "big"}, "flags": {`)
	n := 0
	for b.Len() < 50<<20 {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"f%d": {"key": "f%d", "enabled": true, "variationType": "INTEGER", "totalShards": 10000,
			"variations": {"one": {"key": "one", "value": 1}, "two": {"key": "two", "value": 2}},
			"allocations": [{"key": "a", "rules": [{"conditions": [{"attribute": "country", "operator": "ONE_OF", "value": ["US", "CA", "MX", "FR", "DE"]}]}],
				"splits": [{"variationKey": "one", "shards": [{"salt": "s%d", "ranges": [{"start": 0, "end": 5000}]}]},
				           {"variationKey": "two", "shards": [{"salt": "s%d", "ranges": [{"start": 5000, "end": 10000}]}]}]}]}`, n, n, n, n)
		n++
	}
	b.WriteString("}}")
	start := time.Now()
	cfg, err := NewConfiguration(b.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d MB, %d flags parsed in %v", b.Len()>>20, n, time.Since(start))
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	v, err := c.GetIntegerAssignment(fmt.Sprintf("f%d", n-1), "someone", Attributes{"country": "FR"}, 0)
	if err != nil || (v != 1 && v != 2) {
		t.Fatalf("last flag: %d, %v", v, err)
	}
}

type point struct{ X, Y int }

// Attribute values of every Go kind get the documented coercion (numbers, bools, strings; other kinds have no
// string or number form).
func TestOddAttributeTypes(t *testing.T) {
	c := loadEdgeClient(t)
	ten := 10
	cases := []struct {
		name  string
		flag  string
		value any
		want  string
	}{
		{"int8", "one-of-ten", int8(10), "yes"},
		{"int16", "one-of-ten", int16(10), "yes"},
		{"int32", "one-of-ten", int32(10), "yes"},
		{"int64", "one-of-ten", int64(10), "yes"},
		{"uint", "one-of-ten", uint(10), "yes"},
		{"uint8", "one-of-ten", uint8(10), "yes"},
		{"uint16", "one-of-ten", uint16(10), "yes"},
		{"uint32", "one-of-ten", uint32(10), "yes"},
		{"uint64", "one-of-ten", uint64(10), "yes"},
		{"float32", "one-of-ten", float32(10), "yes"},
		{"huge uint64 stringifies exactly", "one-of-ten", uint64(math.MaxUint64), "no"},
		{"int numeric compare", "gt-five", int64(6), "yes"},
		{"float32 numeric compare", "gt-five", float32(5.5), "yes"},
		{"NaN compares false", "gt-five", math.NaN(), "no"},
		{"+Inf is greater", "gt-five", math.Inf(1), "yes"},
		{"-Inf is not greater", "gt-five", math.Inf(-1), "no"},
		{"struct has no string form", "one-of-ten", point{1, 2}, "no"},
		{"slice has no string form", "one-of-ten", []int{10}, "no"},
		{"pointer is not dereferenced", "one-of-ten", &ten, "no"},
		{"struct is present for NOT_ONE_OF but unusable", "not-one-of", point{}, "no"},
		{"struct is not null", "is-null-false", point{}, "yes"},
		{"non-UTF-8 string matches byte for byte", "not-one-of", "\xff\xfe", "yes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attr := map[string]string{"one-of-ten": "n", "gt-five": "n", "not-one-of": "x", "is-null-false": "x"}[tc.flag]
			got, err := c.GetStringAssignment(tc.flag, "subject-1", Attributes{attr: tc.value}, "default")
			if err != nil || got != tc.want {
				t.Fatalf("%v (%T): got %q, %v; want %q", tc.value, tc.value, got, err, tc.want)
			}
		})
	}
}

func TestSubjectKeys(t *testing.T) {
	c := loadClient(t, "flags-v1.json", "")
	long := strings.Repeat("k", 1<<20)
	v, err := c.GetIntegerAssignment("integer-flag", long, nil, -1)
	if err != nil || (v != 1 && v != 2) {
		t.Fatalf("1 MiB subject key: %d, %v", v, err)
	}
	if v, err := c.GetIntegerAssignment("integer-flag", "", nil, -1); v != -1 || !errors.Is(err, ErrInvalidSubjectKey) {
		t.Fatalf("empty subject key: %d, %v", v, err)
	}
	if _, err := c.GetIntegerAssignment("", "s", nil, -1); !errors.Is(err, ErrInvalidFlagKey) {
		t.Fatalf("empty flag key: %v", err)
	}
	// Hashing uses the exact bytes: the same key gives the same answer, every time, in any goroutine.
	first, _ := c.GetIntegerAssignment("integer-flag", "\xff\x00ключ🙂", nil, -1)
	for i := 0; i < 100; i++ {
		if v, _ := c.GetIntegerAssignment("integer-flag", "\xff\x00ключ🙂", nil, -1); v != first {
			t.Fatal("assignment is not deterministic")
		}
	}
}

// A pattern that backtracking engines take exponential time on runs in linear time under RE2.
func TestCatastrophicRegexDoesNotHang(t *testing.T) {
	cfg, err := NewConfiguration([]byte(`{"flags": {"evil": {"key": "evil", "enabled": true, "variationType": "BOOLEAN", "totalShards": 10000,
		"variations": {"t": {"key": "t", "value": true}, "f": {"key": "f", "value": false}},
		"allocations": [{"key": "m", "rules": [{"conditions": [{"attribute": "s", "operator": "MATCHES", "value": "^(a+)+$"}]}],
			"splits": [{"variationKey": "t", "shards": []}]}, {"key": "rest", "splits": [{"variationKey": "f", "shards": []}]}]}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: cfg})
	done := make(chan bool)
	go func() {
		v, _ := c.GetBooleanAssignment("evil", "s", Attributes{"s": strings.Repeat("a", 100000) + "!"}, true)
		done <- v
	}()
	select {
	case v := <-done:
		if v {
			t.Fatal("pattern must not match a string ending in !")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("regular expression evaluation hung")
	}
}

func TestNotInitialized(t *testing.T) {
	c, err := NewClient(Config{})
	if err != nil {
		t.Fatal(err)
	}
	v, d, err := c.GetStringAssignmentDetails("any", "s", nil, "def")
	if v != "def" || !errors.Is(err, ErrNotInitialized) || d.FlagEvaluationCode != CodeConfigurationMissing {
		t.Fatalf("got %q, %v, %s", v, err, d.FlagEvaluationCode)
	}
}

// SetConfiguration under heavy concurrent reads: run with -race.
func TestSetConfigurationDuringReads(t *testing.T) {
	dir := ufcDir(t)
	a, err := NewConfiguration(readFile(t, filepath.Join(dir, "flags-v1.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewConfiguration(readFile(t, filepath.Join(dir, "bandit-flags-v1.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewClient(Config{InitialConfiguration: a})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v, err := c.GetIntegerAssignment("integer-flag", fmt.Sprint(i), nil, -1)
				// integer-flag exists only in a: either its value or ErrFlagNotFound, never anything else.
				if err == nil && v != 1 && v != 2 && v != 3 || err != nil && !errors.Is(err, ErrFlagNotFound) {
					t.Errorf("inconsistent read: %d, %v", v, err)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			c.SetConfiguration(b)
		} else {
			c.SetConfiguration(a)
		}
	}
	close(stop)
	wg.Wait()
}

func loadEdgeClient(t *testing.T) *Client {
	t.Helper()
	cfg, err := NewConfiguration(readFile(t, filepath.Join(moduleRoot(t), "testdata", "edge-cases", "flags.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{InitialConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
