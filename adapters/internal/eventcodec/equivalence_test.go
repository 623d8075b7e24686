package eventcodec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

// The tests in this file check the encoder byte for byte against encoding/json, field by field, on
// random events. The encoder differs from encoding/json's defaults in two documented ways, which
// refJSON applies to encoding/json's output: <, > and & are not escaped, and \b and \f are written as
// \u0008 and \u000c.

// refJSON is encoding/json's encoding of v, adjusted as described above.
func refJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json cannot encode %#v: %v", v, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	var out strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out.WriteByte(b[i])
			continue
		}
		i++
		switch b[i] {
		case 'b':
			out.WriteString(`\u0008`)
		case 'f':
			out.WriteString(`\u000c`)
		default:
			out.WriteByte('\\')
			out.WriteByte(b[i])
		}
	}
	return out.String()
}

// refMap is refJSON for a map, with nil written as {} like the encoder does.
func refMap[V any](t *testing.T, m map[string]V) string {
	if m == nil {
		return "{}"
	}
	return refJSON(t, m)
}

// refTimestamp renders ts with package time, not with core's appender.
func refTimestamp(ts time.Time) string { return ts.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// refObject writes the fields of one event as a JSON object in the given column order.
func refObject(t *testing.T, names []string, values []string) string {
	var out strings.Builder
	out.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(refJSON(t, name))
		out.WriteByte(':')
		out.WriteString(values[i])
	}
	out.WriteByte('}')
	return out.String()
}

// randomString mixes what breaks encoders: quotes, backslashes, control characters, HTML characters,
// multi-byte runes, U+2028/U+2029, invalid and truncated UTF-8, and plain ASCII runs long enough to
// cross the 8-byte fast path at any alignment.
func randomString(rng *rand.Rand) string {
	pieces := []string{
		"a", "Z", "0", " ", "-", "_", "~", "\x7f", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1f",
		"<", ">", "&", "é", "日本", "😀", "\u2028", "\u2029", "\u00a0", "\ufffd", "\xff", "\xc3", "\xe2\x82",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "abcdefgh", "user-0123456789", strings.Repeat("x", 17),
	}
	var b strings.Builder
	for range rng.IntN(12) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	if rng.IntN(4) == 0 {
		// A random byte string, to reach what the pieces do not.
		for range rng.IntN(24) {
			b.WriteByte(byte(rng.IntN(256)))
		}
	}
	return b.String()
}

func randomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(8) {
	case 0:
		return float64(rng.IntN(2000) - 1000) // whole numbers
	case 1:
		return float64(1<<53) - float64(rng.IntN(3)) + float64(rng.IntN(3)) // around the integer fast path's limit
	case 2:
		return []float64{0, math.Copysign(0, -1), 1e-7, 1e21, 1e20, -1e15, 123456789.125, math.MaxFloat64,
			math.SmallestNonzeroFloat64, float64(1 << 62)}[rng.IntN(10)]
	case 3:
		return math.Float64frombits(rng.Uint64()&^(0x7ff<<52) | uint64(rng.IntN(0x7ff))<<52) // any finite
	default:
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(30)-15))
	}
}

func randomValue(rng *rand.Rand) any {
	switch rng.IntN(16) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return rng.Int()
	case 3:
		return int8(rng.IntN(256) - 128)
	case 4:
		return int64(rng.Uint64())
	case 5:
		return uint64(rng.Uint64())
	case 6:
		return uint16(rng.IntN(1 << 16))
	case 7:
		f := randomFloat(rng)
		if math.Abs(f) > math.MaxFloat32 {
			f = rng.NormFloat64()
		}
		return float32(f)
	case 8:
		// Values outside the fast path go through encoding/json, which escapes <, > and &
		// itself; keep them plain so that refJSON's adjustment does not apply to them.
		return []any{rng.IntN(100), "plain", true}
	case 9, 10, 11:
		return randomFloat(rng)
	default:
		return randomString(rng)
	}
}

// randomMap has 0 to 24 entries, so that some maps are larger than the sorting array on the stack.
func randomMap[V any](rng *rand.Rand, value func(*rand.Rand) V) map[string]V {
	if rng.IntN(6) == 0 {
		return nil
	}
	n := rng.IntN(25)
	if rng.IntN(2) == 0 {
		n = rng.IntN(6)
	}
	m := make(map[string]V, n)
	for range n {
		m[randomString(rng)] = value(rng)
	}
	return m
}

func randomMetadata(rng *rand.Rand) core.Metadata {
	if rng.IntN(3) > 0 {
		return core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion}
	}
	return core.Metadata{SDKName: randomString(rng), SDKLanguage: core.SDKLanguage, SDKVersion: randomString(rng)}
}

func randomTime(rng *rand.Rand) time.Time {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+45*60), time.FixedZone("", -11*3600)}
	return time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
}

func randomAssignment(rng *rand.Rand) *core.AssignmentEvent {
	return &core.AssignmentEvent{
		FeatureFlag:       randomString(rng),
		Allocation:        randomString(rng),
		Experiment:        randomString(rng),
		Variation:         randomString(rng),
		Subject:           randomString(rng),
		SubjectAttributes: core.Attributes(randomMap(rng, randomValue)),
		Timestamp:         randomTime(rng),
		MetaData:          randomMetadata(rng),
		ExtraLogging:      randomMap(rng, randomString),
	}
}

func randomBandit(rng *rand.Rand) *core.BanditEvent {
	return &core.BanditEvent{
		FlagKey:                      randomString(rng),
		BanditKey:                    randomString(rng),
		Subject:                      randomString(rng),
		Action:                       randomString(rng),
		ActionProbability:            randomFloat(rng),
		OptimalityGap:                randomFloat(rng),
		ModelVersion:                 randomString(rng),
		Timestamp:                    randomTime(rng),
		SubjectNumericAttributes:     randomMap(rng, randomFloat),
		SubjectCategoricalAttributes: randomMap(rng, randomString),
		ActionNumericAttributes:      randomMap(rng, randomFloat),
		ActionCategoricalAttributes:  randomMap(rng, randomString),
		MetaData:                     randomMetadata(rng),
	}
}

// textCell renders a string or timestamp cell: quoted JSON for JSON, the text itself for CSV.
func textCell(t *testing.T, asJSON bool) func(string) string {
	if asJSON {
		return func(s string) string { return refJSON(t, s) }
	}
	return func(s string) string { return s }
}

// assignmentCells are the expected cells of e in column order: JSON values for JSON, text for CSV.
func assignmentCells(t *testing.T, e *core.AssignmentEvent, asJSON bool) []string {
	str := textCell(t, asJSON)
	ts := str(refTimestamp(e.Timestamp))
	return []string{str(e.FeatureFlag), str(e.Allocation), str(e.Experiment), str(e.Variation), str(e.Subject),
		refMap(t, e.SubjectAttributes), ts, refJSON(t, e.MetaData), refMap(t, e.ExtraLogging)}
}

func banditCells(t *testing.T, e *core.BanditEvent, asJSON bool) []string {
	str := textCell(t, asJSON)
	ts := str(refTimestamp(e.Timestamp))
	return []string{ts, str(e.FlagKey), str(e.BanditKey), str(e.Subject), str(e.Action),
		refJSON(t, e.ActionProbability), refJSON(t, e.OptimalityGap), str(e.ModelVersion),
		refMap(t, e.SubjectNumericAttributes), refMap(t, e.SubjectCategoricalAttributes),
		refMap(t, e.ActionNumericAttributes), refMap(t, e.ActionCategoricalAttributes), refJSON(t, e.MetaData)}
}

func TestRandomEventsMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2026))
	var buf []byte
	var rec Record
	for i := range 3000 {
		a := randomAssignment(rng)
		checkEncodings(t, fmt.Sprintf("assignment %d", i), AssignmentColumns,
			func(asJSON bool) []string { return assignmentCells(t, a, asJSON) },
			func(n Naming) (err error) { buf, err = AppendAssignmentJSON(buf[:0], a, n); return err },
			&buf, func() ([]string, error) { return rec.Assignment(nil, a) })
		b := randomBandit(rng)
		checkEncodings(t, fmt.Sprintf("bandit %d", i), BanditColumns,
			func(asJSON bool) []string { return banditCells(t, b, asJSON) },
			func(n Naming) (err error) { buf, err = AppendBanditJSON(buf[:0], b, n); return err },
			&buf, func() ([]string, error) { return rec.Bandit(nil, b) })
	}
}

// checkEncodings compares one event's JSON under both namings (encode leaves it in *buf) and its CSV row
// with the cells encoding/json gives.
func checkEncodings(t *testing.T, what string, columns func(Naming) []string, cells func(asJSON bool) []string,
	encode func(Naming) error, buf *[]byte, row func() ([]string, error)) {
	t.Helper()
	for _, n := range namings {
		if err := encode(n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if want := refObject(t, columns(n), cells(true)); string(*buf) != want {
			t.Fatalf("%s, %v:\n got %s\nwant %s", what, n, *buf, want)
		}
	}
	got, err := row()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if want := cells(false); !slices.Equal(got, want) {
		t.Fatalf("%s: CSV row\n got %q\nwant %q", what, got, want)
	}
}

func TestRandomStringsMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var buf []byte
	for range 50000 {
		s := randomString(rng)
		// Also shift the string against the 8-byte words.
		s = strings.Repeat("p", rng.IntN(9)) + s
		buf = AppendString(buf[:0], s)
		if want := refJSON(t, s); string(buf) != want {
			t.Fatalf("AppendString(%q) = %s, want %s", s, buf, want)
		}
	}
}

func TestAppendFloatWholeNumbersMatchEncodingJSON(t *testing.T) {
	for _, f := range []float64{1, -1, 42, 1e15, -1e15, 1<<53 - 1, 1 << 53, 1<<53 + 2, -(1<<53 - 1), 1 << 60, 1e20,
		123456789, math.Copysign(0, -1), 0} {
		got, err := AppendFloat(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if want := refJSON(t, f); string(got) != want {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestEncodingDoesNotAllocate checks the promise in AppendAssignmentJSON's and AppendBanditJSON's docs,
// and that a CSV row costs one string.
func TestEncodingDoesNotAllocate(t *testing.T) {
	a, p, b := benchAssignment(), benchPadded(), benchBandit()
	buf := make([]byte, 0, 4096)
	for _, n := range namings {
		if allocs := testing.AllocsPerRun(100, func() { buf, _ = AppendAssignmentJSON(buf[:0], a, n) }); allocs != 0 {
			t.Errorf("AppendAssignmentJSON(%v): %v allocations", n, allocs)
		}
		if allocs := testing.AllocsPerRun(100, func() { buf, _ = AppendAssignmentJSON(buf[:0], p, n) }); allocs != 0 {
			t.Errorf("AppendAssignmentJSON(%v), padded: %v allocations", n, allocs)
		}
		if allocs := testing.AllocsPerRun(100, func() { buf, _ = AppendBanditJSON(buf[:0], b, n) }); allocs != 0 {
			t.Errorf("AppendBanditJSON(%v): %v allocations", n, allocs)
		}
	}
	var r Record
	row := make([]string, 0, 16)
	if allocs := testing.AllocsPerRun(100, func() { row, _ = r.Assignment(row[:0], a) }); allocs != 1 {
		t.Errorf("Record.Assignment: %v allocations, want 1", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { row, _ = r.Bandit(row[:0], b) }); allocs != 1 {
		t.Errorf("Record.Bandit: %v allocations, want 1", allocs)
	}
}
