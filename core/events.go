package core

import (
	"encoding/json"
	"time"
)

// Library identification sent in every event's metadata and to the CDN.
const (
	// SDKName is the name eppokit reports in event metadata and CDN requests.
	SDKName = "eppokit-go"
	// SDKVersion is the version eppokit reports in event metadata and CDN requests.
	SDKVersion = "0.2.0"
	// SDKLanguage is reported under Eppo's own metadata key, so warehouse queries written for Eppo's SDKs
	// (which filter on metaData.sdkLanguage) keep working.
	SDKLanguage = "go"
)

// timestampLayout is RFC 3339 in UTC with exactly three fractional digits.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// Metadata identifies the library that produced an event. SDKLanguage and SDKVersion use the keys of
// Eppo's own SDKs (sdkLanguage, sdkVersion); SDKName is eppokit's.
type Metadata struct {
	SDKName     string `json:"sdkName"`
	SDKLanguage string `json:"sdkLanguage"`
	SDKVersion  string `json:"sdkVersion"`
}

// defaultMetadata is copied by value into every event; it never allocates.
var defaultMetadata = Metadata{SDKName: SDKName, SDKLanguage: SDKLanguage, SDKVersion: SDKVersion}

// AssignmentEvent records that a subject was exposed to a variation of a flag.
//
// Events own their SubjectAttributes map (a copy of the caller's); ExtraLogging is shared with the
// configuration and must be treated as read-only.
type AssignmentEvent struct {
	FeatureFlag       string            `json:"featureFlag"`
	Allocation        string            `json:"allocation"`
	Experiment        string            `json:"experiment"`
	Variation         string            `json:"variation"`
	Subject           string            `json:"subject"`
	SubjectAttributes Attributes        `json:"subjectAttributes,omitempty"`
	Timestamp         time.Time         `json:"timestamp"`
	MetaData          Metadata          `json:"metaData"`
	ExtraLogging      map[string]string `json:"extraLogging,omitempty"`
}

// MarshalJSON encodes the event with its timestamp in UTC with millisecond precision.
func (e AssignmentEvent) MarshalJSON() ([]byte, error) {
	type plain AssignmentEvent
	return json.Marshal(struct {
		plain
		Timestamp string `json:"timestamp"`
	}{plain(e), FormatTimestamp(e.Timestamp)})
}

// BanditEvent records the action a contextual bandit chose for a subject.
// Its attribute maps are copies owned by the event.
type BanditEvent struct {
	FlagKey                      string             `json:"flagKey"`
	BanditKey                    string             `json:"banditKey"`
	Subject                      string             `json:"subject"`
	Action                       string             `json:"action"`
	ActionProbability            float64            `json:"actionProbability"`
	OptimalityGap                float64            `json:"optimalityGap"`
	ModelVersion                 string             `json:"modelVersion"`
	Timestamp                    time.Time          `json:"timestamp"`
	SubjectNumericAttributes     map[string]float64 `json:"subjectNumericAttributes"`
	SubjectCategoricalAttributes map[string]string  `json:"subjectCategoricalAttributes"`
	ActionNumericAttributes      map[string]float64 `json:"actionNumericAttributes"`
	ActionCategoricalAttributes  map[string]string  `json:"actionCategoricalAttributes"`
	MetaData                     Metadata           `json:"metaData"`
}

// MarshalJSON encodes the event with its timestamp in UTC with millisecond precision.
func (e BanditEvent) MarshalJSON() ([]byte, error) {
	type plain BanditEvent
	return json.Marshal(struct {
		plain
		Timestamp string `json:"timestamp"`
	}{plain(e), FormatTimestamp(e.Timestamp)})
}

// FormatTimestamp renders t the way events carry it: UTC, RFC 3339, milliseconds
// (for example 2021-06-22T17:35:12.000Z).
func FormatTimestamp(t time.Time) string {
	return string(AppendTimestamp(make([]byte, 0, len(timestampLayout)), t))
}

// AssignmentLogger receives assignment events. The client calls it on the goroutine that asked for the
// assignment, so implementations must return quickly and must not block (see package batching).
type AssignmentLogger interface {
	LogAssignment(AssignmentEvent)
}

// BanditLogger receives bandit action events, under the same rules as [AssignmentLogger].
type BanditLogger interface {
	LogBanditAction(BanditEvent)
}

// AssignmentFilter is optionally implemented by an [AssignmentLogger] that can tell, before an event is
// built, that it would suppress it (a dedupe hit). The client asks first and, on true, builds no event and
// copies no attributes, so a repeat exposure costs one lookup. Like slog.Handler.Enabled it is a cheap gate:
// the logger still makes the final, atomic decision when an event does arrive. Implementations count a true
// answer as a suppressed duplicate.
type AssignmentFilter interface {
	SuppressAssignment(flagKey, subject, allocation, variation string) bool
}

// BanditFilter is [AssignmentFilter] for bandit events.
type BanditFilter interface {
	SuppressBanditAction(flagKey, subject, banditKey, action string) bool
}
