package batching

import (
	"unsafe"

	"github.com/eppokit/eppokit/core"
)

// Memory accounting. [WithMemoryLimit] bounds what the processor keeps reachable on the heap: the queue's
// slots, the batcher's storage by capacity, every sealed batch by the storage it was given (sized to its
// events) plus the retry copies of its event list, and what the events point to: strings, attribute maps,
// IDs and encoded payloads (by capacity). A map's size is estimated from its entries, since Go does not
// expose it; the estimate errs on the large side. Strings an event shares with the configuration (flag and
// variation keys) are counted as if owned.
const (
	itemSize      = int64(unsafe.Sizeof(item{}))
	eventSize     = int64(unsafe.Sizeof(Event{}))
	assignSize    = int64(unsafe.Sizeof(core.AssignmentEvent{}))
	banditSize    = int64(unsafe.Sizeof(core.BanditEvent{}))
	stringSize    = int64(unsafe.Sizeof(""))
	sliceSize     = int64(unsafe.Sizeof([]byte(nil)))
	batchOverhead = int64(unsafe.Sizeof(batch{})) + 64 // plus its places in the ready list and outstanding map

	mapHeader = 64 // a small map's header and first table
	mapEntry  = 48 // a slot of key and value headers, control bytes and load-factor slack
	anyBox    = 16 // the boxed value behind an interface
)

// assignmentRefs is the intake's quick estimate of the bytes an assignment event points to; the batcher
// replaces it with [assignmentBytes] off the hot path.
func assignmentRefs(e *core.AssignmentEvent) int64 {
	n := len(e.FeatureFlag) + len(e.Allocation) + len(e.Experiment) + len(e.Variation) + len(e.Subject) +
		mapEntry*(len(e.SubjectAttributes)+len(e.ExtraLogging))
	return int64(n)
}

// banditRefs is assignmentRefs for a bandit event.
func banditRefs(e *core.BanditEvent) int64 {
	n := len(e.FlagKey) + len(e.BanditKey) + len(e.Subject) + len(e.Action) + len(e.ModelVersion) +
		mapEntry*(len(e.SubjectNumericAttributes)+len(e.SubjectCategoricalAttributes)+
			len(e.ActionNumericAttributes)+len(e.ActionCategoricalAttributes))
	return int64(n)
}

// assignmentBytes counts the bytes an assignment event points to, walking its maps.
func assignmentBytes(e *core.AssignmentEvent) int64 {
	return int64(len(e.FeatureFlag)+len(e.Allocation)+len(e.Experiment)+len(e.Variation)+len(e.Subject)) +
		attributesBytes(e.SubjectAttributes) + stringMapBytes(e.ExtraLogging)
}

// banditBytes counts the bytes a bandit event points to, walking its maps.
func banditBytes(e *core.BanditEvent) int64 {
	return int64(len(e.FlagKey)+len(e.BanditKey)+len(e.Subject)+len(e.Action)+len(e.ModelVersion)) +
		floatMapBytes(e.SubjectNumericAttributes) + stringMapBytes(e.SubjectCategoricalAttributes) +
		floatMapBytes(e.ActionNumericAttributes) + stringMapBytes(e.ActionCategoricalAttributes)
}

func attributesBytes(m core.Attributes) int64 {
	if m == nil {
		return 0
	}
	n := int64(mapHeader)
	for k, v := range m {
		n += mapEntry + int64(len(k))
		switch v := v.(type) {
		case string:
			n += stringSize + int64(len(v))
		case nil:
		default:
			n += anyBox
		}
	}
	return n
}

func stringMapBytes(m map[string]string) int64 {
	if m == nil {
		return 0
	}
	n := int64(mapHeader)
	for k, v := range m {
		n += mapEntry + int64(len(k)+len(v))
	}
	return n
}

func floatMapBytes(m map[string]float64) int64 {
	if m == nil {
		return 0
	}
	n := int64(mapHeader)
	for k := range m {
		n += mapEntry + int64(len(k))
	}
	return n
}
