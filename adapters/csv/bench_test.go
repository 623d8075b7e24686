package csv_test

import (
	"bufio"
	stdcsv "encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

const benchSize = 400

// BenchmarkThroughput compares events/s through the adapter's pipeline into a real file with
// encoding/csv used directly: the same columns (maps through json.Marshal), a bufio.Writer over the file,
// one fsync at the end, as the pipeline's Close does.
func BenchmarkThroughput(b *testing.B) {
	evs := adapterstest.SizedEvents("bench", 4096, benchSize)

	b.Run("raw-encoding-csv", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "raw.csv"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 64<<10)
		w := stdcsv.NewWriter(bw)
		mustJSON := func(v any) string {
			j, err := json.Marshal(v)
			if err != nil {
				b.Fatal(err)
			}
			return string(j)
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			e := evs[i%len(evs)]
			a := e.Assignment
			if err := w.Write([]string{a.FeatureFlag, a.Allocation, a.Experiment, a.Variation, a.Subject,
				mustJSON(a.SubjectAttributes), core.FormatTimestamp(a.Timestamp), mustJSON(a.MetaData),
				mustJSON(a.ExtraLogging), e.ID}); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
		if err := errors.Join(w.Error(), bw.Flush(), f.Sync()); err != nil {
			b.Fatal(err)
		}
		adapterstest.ReportThroughput(b, start)
	})

	b.Run("pipeline", func(b *testing.B) {
		p, err := csv.NewLogger(csv.Config{Dir: b.TempDir()}, batching.WithBlocking(), quietLogs())
		if err != nil {
			b.Fatal(err)
		}
		adapterstest.BenchmarkPipeline(b, p, evs)
	})
}
