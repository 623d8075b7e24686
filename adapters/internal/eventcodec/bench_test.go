package eventcodec

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/core"
)

// benchAssignment is a typical exposure: five subject attributes of mixed types, a holdout in
// extraLogging, a local-time timestamp as the client stamps it. Its camelCase JSON is about 450 bytes.
func benchAssignment() *core.AssignmentEvent {
	return &core.AssignmentEvent{
		FeatureFlag: "checkout-redesign",
		Allocation:  "experiment-q3",
		Experiment:  "checkout-redesign-experiment-q3",
		Variation:   "treatment",
		Subject:     "user-482113",
		SubjectAttributes: core.Attributes{"country": "FR", "plan": "pro", "seats": 12.0, "beta": true,
			"email": "alice@example.com"},
		Timestamp:    time.Date(2024, 9, 3, 14, 7, 21, 345_678_901, time.FixedZone("CEST", 2*3600)),
		MetaData:     core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion},
		ExtraLogging: map[string]string{"holdoutKey": "holdout-2024", "holdoutVariation": "status_quo"},
	}
}

// benchPadded is shaped like the events of the Kafka throughput benchmark: a 400-byte message whose
// size comes from one long ASCII attribute.
func benchPadded() *core.AssignmentEvent {
	return &core.AssignmentEvent{
		FeatureFlag:       "checkout-flow",
		Allocation:        "experiment-2024",
		Experiment:        "checkout-flow-experiment-2024",
		Variation:         "treatment",
		Subject:           "user-000042",
		SubjectAttributes: core.Attributes{"plan": "pro", "pad": strings.Repeat("x", 70)},
		Timestamp:         time.Date(2024, 3, 1, 12, 0, 0, 42_000_000, time.UTC),
		MetaData:          core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion},
	}
}

// benchBandit is a typical bandit action: a few numeric and categorical attributes on both sides.
func benchBandit() *core.BanditEvent {
	return &core.BanditEvent{
		FlagKey:                      "shoe-recommendation",
		BanditKey:                    "shoe-bandit-v2",
		Subject:                      "user-482113",
		Action:                       "nike-pegasus",
		ActionProbability:            0.2375,
		OptimalityGap:                0.0412,
		ModelVersion:                 "v2024.09.01",
		Timestamp:                    time.Date(2024, 9, 3, 14, 7, 21, 345_678_901, time.Local),
		SubjectNumericAttributes:     map[string]float64{"age": 34, "visits": 17, "spend": 412.5},
		SubjectCategoricalAttributes: map[string]string{"country": "FR", "tier": "gold"},
		ActionNumericAttributes:      map[string]float64{"price": 129.99, "discount": 0.1},
		ActionCategoricalAttributes:  map[string]string{"brand": "nike", "category": "running"},
		MetaData:                     core.Metadata{SDKName: core.SDKName, SDKLanguage: core.SDKLanguage, SDKVersion: core.SDKVersion},
	}
}

var namings = []Naming{CamelCase, Warehouse}

// The JSON benchmarks reuse one buffer, as the sinks do, so allocs/op is what encoding itself costs.
func BenchmarkAssignmentJSON(b *testing.B) {
	for _, c := range []struct {
		name string
		e    *core.AssignmentEvent
	}{{"typical", benchAssignment()}, {"padded", benchPadded()}} {
		for _, n := range namings {
			b.Run(c.name+"/"+n.String(), func(b *testing.B) {
				buf, err := AppendAssignmentJSON(nil, c.e, n)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				for b.Loop() {
					buf, _ = AppendAssignmentJSON(buf[:0], c.e, n)
				}
			})
		}
	}
}

func BenchmarkBanditJSON(b *testing.B) {
	e := benchBandit()
	for _, n := range namings {
		b.Run(n.String(), func(b *testing.B) {
			buf, err := AppendBanditJSON(nil, e, n)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendBanditJSON(buf[:0], e, n)
			}
		})
	}
}

// The CSV benchmarks reuse the Record and the row slice, as the CSV sink does; the cells are strings the
// caller keeps, so they cost at least one allocation.
func BenchmarkAssignmentCSV(b *testing.B) {
	e := benchAssignment()
	var r Record
	row, err := r.Assignment(nil, e)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		row, _ = r.Assignment(row[:0], e)
	}
}

func BenchmarkBanditCSV(b *testing.B) {
	e := benchBandit()
	var r Record
	row, err := r.Bandit(nil, e)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		row, _ = r.Bandit(row[:0], e)
	}
}

func BenchmarkFormatTimestamp(b *testing.B) {
	ts := benchAssignment().Timestamp
	b.ReportAllocs()
	for b.Loop() {
		_ = core.FormatTimestamp(ts)
	}
}

// appendPlainBytewise is AppendString without the eight-byte scan, for plain ASCII only: the baseline
// BenchmarkAppendString compares the scan with.
func appendPlainBytewise(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && plainByte[s[i]] {
		i++
	}
	if i < len(s) {
		panic("appendPlainBytewise: input needs escaping")
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func BenchmarkAppendString(b *testing.B) {
	for _, s := range []string{"treatment", "user-8f14e45f-ceea-467a", strings.Repeat("x", 70)} {
		buf := make([]byte, 0, 128)
		b.Run(fmt.Sprintf("%d-bytes/words", len(s)), func(b *testing.B) {
			for b.Loop() {
				buf = AppendString(buf[:0], s)
			}
		})
		b.Run(fmt.Sprintf("%d-bytes/bytes", len(s)), func(b *testing.B) {
			for b.Loop() {
				buf = appendPlainBytewise(buf[:0], s)
			}
		})
	}
}

func BenchmarkAppendFloat(b *testing.B) {
	buf := make([]byte, 0, 64)
	for _, f := range []float64{34, 412.5} {
		b.Run(fmt.Sprint(f), func(b *testing.B) {
			for b.Loop() {
				buf, _ = AppendFloat(buf[:0], f)
			}
		})
		// The baseline for whole numbers, which AppendFloat writes with strconv.AppendInt.
		b.Run(fmt.Sprint(f)+"/strconv.AppendFloat", func(b *testing.B) {
			for b.Loop() {
				buf = strconv.AppendFloat(buf[:0], f, 'f', -1, 64)
			}
		})
	}
}
