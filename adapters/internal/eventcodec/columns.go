// Package eventcodec renders exposure events as flat rows and as JSON objects under one set of column
// names: the JSON names of core's event types (camelCase), or Eppo's snake_case warehouse columns. It is
// shared by the adapters that land events in tables (CSV files, Kafka topics read by
// a warehouse connector), so that both spell every column the same way.
package eventcodec

import "fmt"

// Naming selects how columns and JSON fields are spelled.
type Naming uint8

const (
	// CamelCase uses the names of core's JSON tags (featureFlag, subjectAttributes, metaData, ...).
	CamelCase Naming = iota
	// Warehouse uses the snake_case names of Eppo's warehouse tables (feature_flag, subject_attributes,
	// metadata, ...).
	Warehouse
)

// String returns "camelCase" or "warehouse".
func (n Naming) String() string {
	switch n {
	case CamelCase:
		return "camelCase"
	case Warehouse:
		return "warehouse"
	}
	return fmt.Sprintf("Naming(%d)", uint8(n))
}

// Column indexes of an assignment row, in the order of the event fields.
const (
	aFeatureFlag = iota
	aAllocation
	aExperiment
	aVariation
	aSubject
	aSubjectAttributes
	aTimestamp
	aMetadata
	aExtraLogging
	assignmentFieldCount
)

// Column indexes of a bandit row, in the order of Eppo's bandit-actions table.
const (
	bTimestamp = iota
	bFlagKey
	bBanditKey
	bSubject
	bAction
	bActionProbability
	bOptimalityGap
	bModelVersion
	bSubjectNumeric
	bSubjectCategorical
	bActionNumeric
	bActionCategorical
	bMetadata
	banditFieldCount
)

// assignmentNames and banditNames are indexed by Naming, then by column. They are read-only.
var (
	assignmentNames = [2][assignmentFieldCount]string{
		{"featureFlag", "allocation", "experiment", "variation", "subject", "subjectAttributes",
			"timestamp", "metaData", "extraLogging"},
		{"feature_flag", "allocation", "experiment", "variation", "subject", "subject_attributes",
			"timestamp", "metadata", "extra_logging"},
	}
	banditNames = [2][banditFieldCount]string{
		{"timestamp", "flagKey", "banditKey", "subject", "action", "actionProbability", "optimalityGap",
			"modelVersion", "subjectNumericAttributes", "subjectCategoricalAttributes",
			"actionNumericAttributes", "actionCategoricalAttributes", "metaData"},
		{"timestamp", "flag_key", "bandit_key", "subject", "action", "action_probability", "optimality_gap",
			"model_version", "subject_numeric_attributes", "subject_categorical_attributes",
			"action_numeric_attributes", "action_categorical_attributes", "metadata"},
	}
	eventIDNames = [2]string{"eventId", "event_id"}
)

func (n Naming) index() int {
	if n == Warehouse {
		return 1
	}
	return 0
}

// AssignmentColumns returns a fresh slice of the assignment column names under n.
func AssignmentColumns(n Naming) []string {
	names := assignmentNames[n.index()]
	return names[:]
}

// BanditColumns returns a fresh slice of the bandit column names under n.
func BanditColumns(n Naming) []string {
	names := banditNames[n.index()]
	return names[:]
}

// EventIDColumn returns the name of the column (or header) that carries the event ID under n.
func EventIDColumn(n Naming) string { return eventIDNames[n.index()] }
