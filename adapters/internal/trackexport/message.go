package trackexport

import (
	"errors"
	"fmt"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// Default Track event names, as Eppo's own integrations name them.
const (
	DefaultAssignmentEvent = "Eppo Randomization Assignment"
	DefaultBanditEvent     = "Eppo Bandit Action"
)

// ErrInvalidEvent reports an event that cannot become a Track call (no payload, or an empty subject,
// which both services refuse as a userId). It is permanent: retrying cannot fix it.
var ErrInvalidEvent = errors.New("event cannot be sent as a Track call")

// Names are the Track event names per event kind.
type Names struct {
	Assignment string
	Bandit     string
}

// WithDefaults fills empty names with the defaults.
func (n Names) WithDefaults() Names {
	if n.Assignment == "" {
		n.Assignment = DefaultAssignmentEvent
	}
	if n.Bandit == "" {
		n.Bandit = DefaultBanditEvent
	}
	return n
}

// Message is a Track call independent of the library that sends it.
type Message struct {
	// ID is the messageId: the pipeline's event ID.
	ID string
	// Event is the Track event name.
	Event string
	// UserID is the event's subject.
	UserID string
	// Timestamp is when the exposure happened (not when it is sent).
	Timestamp time.Time
	// Properties are the event's fields under their JSON names (those of core's event types). The maps
	// inside are the event's own; the libraries only read them.
	Properties map[string]any
}

// Build renders e as a Track call named after its kind.
func Build(e *batching.Event, names Names) (Message, error) {
	switch {
	case e.Kind == batching.KindAssignment && e.Assignment != nil:
		a := e.Assignment
		if a.Subject == "" {
			return Message{}, fmt.Errorf("%w: empty subject", ErrInvalidEvent)
		}
		return Message{ID: e.ID, Event: names.Assignment, UserID: a.Subject, Timestamp: a.Timestamp,
			Properties: AssignmentProperties(a)}, nil
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		b := e.Bandit
		if b.Subject == "" {
			return Message{}, fmt.Errorf("%w: empty subject", ErrInvalidEvent)
		}
		return Message{ID: e.ID, Event: names.Bandit, UserID: b.Subject, Timestamp: b.Timestamp,
			Properties: BanditProperties(b)}, nil
	}
	return Message{}, fmt.Errorf("%w: kind %v without its payload", ErrInvalidEvent, e.Kind)
}

// AssignmentProperties returns a's fields as Track properties. Like a's JSON form, subjectAttributes and
// extraLogging are left out when empty.
func AssignmentProperties(a *core.AssignmentEvent) map[string]any {
	p := make(map[string]any, 9)
	p["featureFlag"] = a.FeatureFlag
	p["allocation"] = a.Allocation
	p["experiment"] = a.Experiment
	p["variation"] = a.Variation
	p["subject"] = a.Subject
	if len(a.SubjectAttributes) > 0 {
		p["subjectAttributes"] = map[string]any(a.SubjectAttributes)
	}
	p["timestamp"] = core.FormatTimestamp(a.Timestamp)
	p["metaData"] = a.MetaData
	if len(a.ExtraLogging) > 0 {
		p["extraLogging"] = a.ExtraLogging
	}
	return p
}

// BanditProperties returns b's fields as Track properties, every field present as in b's JSON form.
func BanditProperties(b *core.BanditEvent) map[string]any {
	p := make(map[string]any, 13)
	p["timestamp"] = core.FormatTimestamp(b.Timestamp)
	p["flagKey"] = b.FlagKey
	p["banditKey"] = b.BanditKey
	p["subject"] = b.Subject
	p["action"] = b.Action
	p["actionProbability"] = b.ActionProbability
	p["optimalityGap"] = b.OptimalityGap
	p["modelVersion"] = b.ModelVersion
	p["subjectNumericAttributes"] = b.SubjectNumericAttributes
	p["subjectCategoricalAttributes"] = b.SubjectCategoricalAttributes
	p["actionNumericAttributes"] = b.ActionNumericAttributes
	p["actionCategoricalAttributes"] = b.ActionCategoricalAttributes
	p["metaData"] = b.MetaData
	return p
}
