package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestAppendTimestampEqualsFormatTimestamp(t *testing.T) {
	cest := time.FixedZone("CEST", 2*3600)
	west := time.FixedZone("", -(9*3600 + 30*60))
	cases := []struct {
		t    time.Time
		want string // written by hand from the date, not by either function
	}{
		{time.Date(2021, 6, 22, 17, 35, 12, 0, time.UTC), "2021-06-22T17:35:12.000Z"},
		{time.Date(2021, 6, 22, 19, 35, 12, 999_999_999, cest), "2021-06-22T17:35:12.999Z"},
		{time.Date(2021, 6, 22, 17, 35, 12, 1_000_000, time.UTC), "2021-06-22T17:35:12.001Z"},
		{time.Date(2021, 6, 22, 17, 35, 12, 999_999, time.UTC), "2021-06-22T17:35:12.000Z"},
		{time.Date(2020, 12, 31, 14, 30, 0, 50_000_000, west), "2021-01-01T00:00:00.050Z"},
		{time.Date(2024, 2, 29, 23, 59, 59, 123_000_000, time.UTC), "2024-02-29T23:59:59.123Z"},
		{time.Date(999, 1, 2, 3, 4, 5, 6_000_000, time.UTC), "0999-01-02T03:04:05.006Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.000Z"},
		{time.Time{}, "0001-01-01T00:00:00.000Z"},
		{time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC), "0000-03-01T00:00:00.000Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), "9999-12-31T23:59:59.999Z"},
		{time.Date(9999, 12, 31, 23, 0, 0, 0, west), "10000-01-01T08:30:00.000Z"},
		{time.Date(-1, 6, 1, 12, 0, 0, 0, time.UTC), "-0001-06-01T12:00:00.000Z"},
		{time.Date(12345, 6, 1, 12, 0, 0, 0, time.UTC), "12345-06-01T12:00:00.000Z"},
		{time.Unix(1_700_000_000, 987_654_321).In(time.Local), "2023-11-14T22:13:20.987Z"},
	}
	for _, c := range cases {
		if got := FormatTimestamp(c.t); got != c.want {
			t.Errorf("FormatTimestamp(%v) = %s, want %s", c.t, got, c.want)
		}
		prefix := []byte("x,")
		got := AppendTimestamp(prefix, c.t)
		if string(got) != "x,"+c.want {
			t.Errorf("AppendTimestamp(%v) = %s, want x,%s", c.t, got, c.want)
		}
	}
}

// TestAppendTimestampRandomTimes checks the hand-written digits against package time's rendering of the
// layout, over years that need a sign or a fifth digit and offsets on both sides of UTC.
func TestAppendTimestampRandomTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 14*3600), time.FixedZone("", -12*3600)}
	lo, hi := time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(10050, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	var buf []byte
	for range 20000 {
		ts := time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
		buf = AppendTimestamp(buf[:0], ts)
		if want := ts.UTC().Format(timestampLayout); string(buf) != want || FormatTimestamp(ts) != want {
			t.Fatalf("%v: AppendTimestamp = %s, FormatTimestamp = %s, time.Format = %s", ts, buf,
				FormatTimestamp(ts), want)
		}
	}
}

var timestampSink []byte

func BenchmarkAppendTimestamp(b *testing.B) {
	ts := time.Date(2024, 9, 3, 14, 7, 21, 345_678_901, time.FixedZone("CEST", 2*3600))
	buf := make([]byte, 0, 32)
	b.Run("AppendTimestamp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			timestampSink = AppendTimestamp(buf[:0], ts)
		}
	})
	// The baseline AppendTimestamp replaces: package time interpreting the layout.
	b.Run("time.AppendFormat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			timestampSink = ts.UTC().AppendFormat(buf[:0], timestampLayout)
		}
	})
}
