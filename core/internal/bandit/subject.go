package bandit

import "math"

// subjectIndex numbers the subject attributes that any action's coefficients read. Every action of a
// selection scores the same subject, so Select resolves each subject attribute once into a subjectView and
// the terms read it by slot instead of looking it up per action.
type subjectIndex struct {
	numeric     []string
	categorical []string
	// values numbers, per categorical slot, every value any term lists for that attribute.
	values []map[string]int
}

// subjectView is a subject resolved against a subjectIndex: numeric values by slot (NaN when missing or not
// finite, which both count as missing) and categorical value numbers by slot (-1 when missing or listed by
// no term).
type subjectView struct {
	numeric     []float64
	categorical []int
}

// newSubjectIndex assigns slots to the subject terms of actions and fills their bySlot coefficients.
func newSubjectIndex(actions map[string]*actionModel) subjectIndex {
	var idx subjectIndex
	numSlots, catSlots := map[string]int{}, map[string]int{}
	for _, am := range actions {
		for i := range am.subjectNumeric {
			t := &am.subjectNumeric[i]
			t.slot = slotOf(numSlots, &idx.numeric, t.key)
		}
		for i := range am.subjectCategorical {
			t := &am.subjectCategorical[i]
			t.slot = slotOf(catSlots, &idx.categorical, t.key)
			if t.slot == len(idx.values) {
				idx.values = append(idx.values, map[string]int{})
			}
			for v := range t.values {
				if _, ok := idx.values[t.slot][v]; !ok {
					idx.values[t.slot][v] = len(idx.values[t.slot])
				}
			}
		}
	}
	// Value numbers are final only now, so the per-term tables are filled in a second pass.
	for _, am := range actions {
		for i := range am.subjectCategorical {
			t := &am.subjectCategorical[i]
			t.bySlot = make([]float64, len(idx.values[t.slot]))
			for v, n := range idx.values[t.slot] {
				c, ok := t.values[v]
				if !ok {
					c = math.NaN()
				}
				t.bySlot[n] = c
			}
		}
	}
	return idx
}

func slotOf(slots map[string]int, keys *[]string, key string) int {
	if s, ok := slots[key]; ok {
		return s
	}
	slots[key] = len(*keys)
	*keys = append(*keys, key)
	return len(*keys) - 1
}

// resolve fills view, whose slices must have the index's lengths, from the subject's attributes.
func (idx *subjectIndex) resolve(numeric map[string]float64, categorical map[string]string, view subjectView) {
	for i, k := range idx.numeric {
		v, ok := numeric[k]
		if !ok || !finite(v) {
			v = math.NaN()
		}
		view.numeric[i] = v
	}
	for i, k := range idx.categorical {
		n := -1
		if v, ok := categorical[k]; ok {
			if vn, ok := idx.values[i][v]; ok {
				n = vn
			}
		}
		view.categorical[i] = n
	}
}

func subjectNumericSum(terms []numericTerm, view subjectView) float64 {
	var s float64
	for i := range terms {
		t := &terms[i]
		if v := view.numeric[t.slot]; !math.IsNaN(v) {
			s += t.coef * v
		} else {
			s += t.missing
		}
	}
	return s
}

func subjectCategoricalSum(terms []categoricalTerm, view subjectView) float64 {
	var s float64
	for i := range terms {
		t := &terms[i]
		if n := view.categorical[t.slot]; n >= 0 && !math.IsNaN(t.bySlot[n]) {
			s += t.bySlot[n]
		} else {
			s += t.missing
		}
	}
	return s
}
