package csv_test

import (
	"context"
	stdcsv "encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// filePeer reads the sink's files back with encoding/csv, independently of the sink's own code.
type filePeer struct {
	assignments, bandits string
	guarded              bool
}

func (p filePeer) Received(context.Context) ([]batching.Event, error) {
	a, err := readFile(p.assignments, batching.KindAssignment, p.guarded)
	if err != nil {
		return nil, err
	}
	b, err := readFile(p.bandits, batching.KindBandit, p.guarded)
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

// readRows returns the header and the rows of a CSV file.
func readRows(path string) ([]string, [][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows, err := stdcsv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not valid CSV: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s has no header", path)
	}
	return rows[0], rows[1:], nil
}

func readFile(path string, kind batching.Kind, guarded bool) ([]batching.Event, error) {
	header, rows, err := readRows(path)
	if err != nil {
		return nil, err
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	var out []batching.Event
	for n, row := range rows {
		d := rowDecoder{row: row, col: col, guarded: guarded}
		var e batching.Event
		e.Kind = kind
		e.ID = d.str("eventId", "event_id")
		if kind == batching.KindAssignment {
			a := &core.AssignmentEvent{
				FeatureFlag: d.text("featureFlag", "feature_flag"),
				Allocation:  d.text("allocation", "allocation"),
				Experiment:  d.text("experiment", "experiment"),
				Variation:   d.text("variation", "variation"),
				Subject:     d.text("subject", "subject"),
				Timestamp:   d.time("timestamp", "timestamp"),
			}
			d.json(&a.SubjectAttributes, "subjectAttributes", "subject_attributes")
			d.json(&a.MetaData, "metaData", "metadata")
			d.json(&a.ExtraLogging, "extraLogging", "extra_logging")
			e.Assignment = a
		} else {
			b := &core.BanditEvent{
				Timestamp:         d.time("timestamp", "timestamp"),
				FlagKey:           d.text("flagKey", "flag_key"),
				BanditKey:         d.text("banditKey", "bandit_key"),
				Subject:           d.text("subject", "subject"),
				Action:            d.text("action", "action"),
				ActionProbability: d.float("actionProbability", "action_probability"),
				OptimalityGap:     d.float("optimalityGap", "optimality_gap"),
				ModelVersion:      d.text("modelVersion", "model_version"),
			}
			d.json(&b.SubjectNumericAttributes, "subjectNumericAttributes", "subject_numeric_attributes")
			d.json(&b.SubjectCategoricalAttributes, "subjectCategoricalAttributes", "subject_categorical_attributes")
			d.json(&b.ActionNumericAttributes, "actionNumericAttributes", "action_numeric_attributes")
			d.json(&b.ActionCategoricalAttributes, "actionCategoricalAttributes", "action_categorical_attributes")
			d.json(&b.MetaData, "metaData", "metadata")
			e.Bandit = b
		}
		if d.err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, n+2, d.err)
		}
		out = append(out, e)
	}
	return out, nil
}

type rowDecoder struct {
	row     []string
	col     map[string]int
	guarded bool
	err     error
}

func (d *rowDecoder) str(camel, snake string) string {
	i, ok := d.col[camel]
	if !ok {
		i, ok = d.col[snake]
	}
	if !ok || i >= len(d.row) {
		d.err = errors.Join(d.err, fmt.Errorf("no column %s/%s", camel, snake))
		return ""
	}
	return d.row[i]
}

// text undoes the formula guard: the quote the sink put in front of = + - @ tab CR or a quote.
func (d *rowDecoder) text(camel, snake string) string {
	s := d.str(camel, snake)
	if d.guarded && len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r'", rune(s[1])) {
		return s[1:]
	}
	return s
}

func (d *rowDecoder) time(camel, snake string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, d.str(camel, snake))
	d.err = errors.Join(d.err, err)
	return t
}

func (d *rowDecoder) float(camel, snake string) float64 {
	f, err := strconv.ParseFloat(d.str(camel, snake), 64)
	d.err = errors.Join(d.err, err)
	return f
}

func (d *rowDecoder) json(v any, camel, snake string) {
	d.err = errors.Join(d.err, json.Unmarshal([]byte(d.str(camel, snake)), v))
}
