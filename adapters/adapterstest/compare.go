package adapterstest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// Canonical renders e in a form that survives a trip through any of the adapters' encodings: timestamps in
// UTC at millisecond precision, absent maps as empty ones, and numbers as float64 (what JSON gives back).
// Two events are the same exposure exactly when their canonical forms are equal.
func Canonical(e batching.Event) string {
	var body any
	switch {
	case e.Kind == batching.KindAssignment && e.Assignment != nil:
		a := *e.Assignment
		a.Timestamp = normTime(a.Timestamp)
		attrs := make(core.Attributes, len(a.SubjectAttributes))
		for k, v := range a.SubjectAttributes {
			attrs[k] = normValue(v)
		}
		a.SubjectAttributes = attrs
		a.ExtraLogging = orEmpty(a.ExtraLogging)
		type plain core.AssignmentEvent // drop MarshalJSON: the timestamp is compared as time.Time
		body = plain(a)
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		b := *e.Bandit
		b.Timestamp = normTime(b.Timestamp)
		b.SubjectNumericAttributes = orEmpty(b.SubjectNumericAttributes)
		b.SubjectCategoricalAttributes = orEmpty(b.SubjectCategoricalAttributes)
		b.ActionNumericAttributes = orEmpty(b.ActionNumericAttributes)
		b.ActionCategoricalAttributes = orEmpty(b.ActionCategoricalAttributes)
		type plain core.BanditEvent
		body = plain(b)
	}
	js, err := json.Marshal(body)
	if err != nil {
		// NaN or ±Inf: fmt prints maps sorted, so this form is as canonical, only less readable.
		return fmt.Sprintf("%s|%v|%+v", e.ID, e.Kind, body)
	}
	return fmt.Sprintf("%s|%v|%s", e.ID, e.Kind, js)
}

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func orEmpty[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// normValue turns Go numbers into float64 through JSON, as a decoder hands them back.
func normValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// Comparison is what [Compare] found between the events sent and those a peer received.
type Comparison struct {
	// Missing lists the IDs sent but never received.
	Missing []string
	// Unexpected lists the IDs received but never sent.
	Unexpected []string
	// Mismatched lists the IDs received with content that differs from what was sent.
	Mismatched []string
	// Duplicates counts receptions beyond the first of an ID (a retried batch that had landed).
	Duplicates int
	// Unique counts the distinct IDs received.
	Unique int
}

// Exact reports whether every event sent was received once, intact, and nothing else was.
func (c Comparison) Exact() bool {
	return len(c.Missing) == 0 && len(c.Unexpected) == 0 && len(c.Mismatched) == 0 && c.Duplicates == 0
}

// String summarises c, listing at most five IDs per category.
func (c Comparison) String() string {
	head := func(ids []string) []string { return ids[:min(5, len(ids))] }
	return fmt.Sprintf("unique=%d missing=%d %q unexpected=%d %q mismatched=%d %q duplicates=%d", c.Unique,
		len(c.Missing), head(c.Missing), len(c.Unexpected), head(c.Unexpected), len(c.Mismatched),
		head(c.Mismatched), c.Duplicates)
}

// Compare matches received events to sent ones by ID and compares their canonical forms.
func Compare(sent, received []batching.Event) Comparison {
	want := make(map[string]string, len(sent))
	for _, e := range sent {
		want[e.ID] = Canonical(e)
	}
	var c Comparison
	seen := make(map[string]bool, len(received))
	for _, e := range received {
		if seen[e.ID] {
			c.Duplicates++
			continue
		}
		seen[e.ID] = true
		w, ok := want[e.ID]
		switch {
		case !ok:
			c.Unexpected = append(c.Unexpected, e.ID)
		case w != Canonical(e):
			c.Mismatched = append(c.Mismatched, e.ID)
		}
	}
	c.Unique = len(seen)
	for id := range want {
		if !seen[id] {
			c.Missing = append(c.Missing, id)
		}
	}
	slices.Sort(c.Missing)
	return c
}

// MismatchDetail returns the canonical forms of the sent and received event with the given ID, for a
// failure message.
func MismatchDetail(sent, received []batching.Event, id string) string {
	find := func(evs []batching.Event) string {
		for _, e := range evs {
			if e.ID == id {
				return Canonical(e)
			}
		}
		return "<absent>"
	}
	return fmt.Sprintf("sent:     %s\nreceived: %s", find(sent), find(received))
}
