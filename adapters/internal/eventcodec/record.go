package eventcodec

import (
	"fmt"

	"github.com/eppokit/eppokit/core"
)

// TextFunc rewrites a free-text cell (a key, a subject, a variation) before it is stored; the CSV adapter
// uses it to neutralise spreadsheet formulas. Numbers, timestamps and JSON cells never pass through it.
type TextFunc func(string) string

// Record builds flat rows. Its scratch buffer is reused across rows, so a Record must not be shared
// between goroutines. The encoded cells of a row (maps, numbers, the timestamp) share one string, so a
// row costs one allocation plus what Text allocates.
type Record struct {
	// Text, when set, rewrites every free-text cell.
	Text    TextFunc
	scratch []byte
}

func (r *Record) text(s string) string {
	if r.Text == nil {
		return s
	}
	return r.Text(s)
}

// cells turns the scratch buffer b into one string and cuts it at ends into cells: one allocation for
// all the cells of a row that were encoded, however many. The buffer is kept for the next row.
func (r *Record) cells(b []byte, ends []int, cells []string) {
	all := string(b)
	r.scratch = b[:0]
	start := 0
	for i, end := range ends {
		cells[i] = all[start:end]
		start = end
	}
}

// Assignment appends e's cells to dst in the order of [AssignmentColumns]. Maps are JSON objects.
func (r *Record) Assignment(dst []string, e *core.AssignmentEvent) ([]string, error) {
	b, err := AppendAttributes(r.scratch[:0], e.SubjectAttributes)
	if err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("subject attributes: %w", err)
	}
	var ends [4]int
	ends[0] = len(b)
	b = core.AppendTimestamp(b, e.Timestamp)
	ends[1] = len(b)
	b = AppendMetadata(b, e.MetaData)
	ends[2] = len(b)
	b = AppendStringMap(b, e.ExtraLogging)
	ends[3] = len(b)
	var c [4]string
	r.cells(b, ends[:], c[:])
	return append(dst,
		r.text(e.FeatureFlag),
		r.text(e.Allocation),
		r.text(e.Experiment),
		r.text(e.Variation),
		r.text(e.Subject),
		c[0], // subject attributes
		c[1], // timestamp
		c[2], // metadata
		c[3], // extra logging
	), nil
}

// Bandit appends e's cells to dst in the order of [BanditColumns]. Numbers are written as in JSON and
// maps are JSON objects.
func (r *Record) Bandit(dst []string, e *core.BanditEvent) ([]string, error) {
	var ends [8]int
	b := core.AppendTimestamp(r.scratch[:0], e.Timestamp)
	ends[0] = len(b)
	var err error
	if b, err = AppendFloat(b, e.ActionProbability); err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("action probability: %w", err)
	}
	ends[1] = len(b)
	if b, err = AppendFloat(b, e.OptimalityGap); err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("optimality gap: %w", err)
	}
	ends[2] = len(b)
	if b, err = AppendFloatMap(b, e.SubjectNumericAttributes); err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("subject numeric attributes: %w", err)
	}
	ends[3] = len(b)
	b = AppendStringMap(b, e.SubjectCategoricalAttributes)
	ends[4] = len(b)
	if b, err = AppendFloatMap(b, e.ActionNumericAttributes); err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("action numeric attributes: %w", err)
	}
	ends[5] = len(b)
	b = AppendStringMap(b, e.ActionCategoricalAttributes)
	ends[6] = len(b)
	b = AppendMetadata(b, e.MetaData)
	ends[7] = len(b)
	var c [8]string
	r.cells(b, ends[:], c[:])
	return append(dst,
		c[0], // timestamp
		r.text(e.FlagKey),
		r.text(e.BanditKey),
		r.text(e.Subject),
		r.text(e.Action),
		c[1], // action probability
		c[2], // optimality gap
		r.text(e.ModelVersion),
		c[3], // subject numeric attributes
		c[4], // subject categorical attributes
		c[5], // action numeric attributes
		c[6], // action categorical attributes
		c[7], // metadata
	), nil
}
