package eventcodec

import (
	"fmt"

	"github.com/eppokit/eppokit/core"
)

// TextFunc rewrites a free-text cell (a key, a subject, a variation) before it is stored; the CSV adapter
// uses it to neutralise spreadsheet formulas. Numbers, timestamps and JSON cells never pass through it.
type TextFunc func(string) string

// Record builds flat rows. Its scratch buffer is reused across rows, so a Record must not be shared
// between goroutines.
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

// cell turns what was appended to the scratch buffer into a string and keeps the buffer for reuse.
func (r *Record) cell(b []byte) string {
	r.scratch = b[:0]
	return string(b)
}

// Assignment appends e's cells to dst in the order of [AssignmentColumns]. Maps are JSON objects.
func (r *Record) Assignment(dst []string, e *core.AssignmentEvent) ([]string, error) {
	b, err := AppendAttributes(r.scratch[:0], e.SubjectAttributes)
	if err != nil {
		r.scratch = b[:0]
		return dst, fmt.Errorf("subject attributes: %w", err)
	}
	attrs := r.cell(b)
	meta := r.cell(AppendMetadata(r.scratch, e.MetaData))
	extra := r.cell(AppendStringMap(r.scratch, e.ExtraLogging))
	return append(dst,
		r.text(e.FeatureFlag),
		r.text(e.Allocation),
		r.text(e.Experiment),
		r.text(e.Variation),
		r.text(e.Subject),
		attrs,
		core.FormatTimestamp(e.Timestamp),
		meta,
		extra,
	), nil
}

// Bandit appends e's cells to dst in the order of [BanditColumns]. Numbers are written as in JSON and
// maps are JSON objects.
func (r *Record) Bandit(dst []string, e *core.BanditEvent) ([]string, error) {
	var cells [4]string
	for i, f := range [...]struct {
		name string
		num  float64
		m    map[string]float64
		isM  bool
	}{
		{name: "action probability", num: e.ActionProbability},
		{name: "optimality gap", num: e.OptimalityGap},
		{name: "subject numeric attributes", m: e.SubjectNumericAttributes, isM: true},
		{name: "action numeric attributes", m: e.ActionNumericAttributes, isM: true},
	} {
		var b []byte
		var err error
		if f.isM {
			b, err = AppendFloatMap(r.scratch[:0], f.m)
		} else {
			b, err = AppendFloat(r.scratch[:0], f.num)
		}
		if err != nil {
			r.scratch = b[:0]
			return dst, fmt.Errorf("%s: %w", f.name, err)
		}
		cells[i] = r.cell(b)
	}
	subjCat := r.cell(AppendStringMap(r.scratch, e.SubjectCategoricalAttributes))
	actCat := r.cell(AppendStringMap(r.scratch, e.ActionCategoricalAttributes))
	meta := r.cell(AppendMetadata(r.scratch, e.MetaData))
	return append(dst,
		core.FormatTimestamp(e.Timestamp),
		r.text(e.FlagKey),
		r.text(e.BanditKey),
		r.text(e.Subject),
		r.text(e.Action),
		cells[0],
		cells[1],
		r.text(e.ModelVersion),
		cells[2],
		subjCat,
		cells[3],
		actCat,
		meta,
	), nil
}
