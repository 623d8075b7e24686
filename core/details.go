package core

import "encoding/json"

// EvaluationCode says how an evaluation ended (the flagEvaluationCode of evaluation details).
type EvaluationCode string

// Evaluation codes, as in Eppo's conformance data and SDKs.
const (
	CodeMatch                      EvaluationCode = "MATCH"
	CodeFlagUnrecognizedOrDisabled EvaluationCode = "FLAG_UNRECOGNIZED_OR_DISABLED"
	CodeDefaultAllocationNull      EvaluationCode = "DEFAULT_ALLOCATION_NULL"
	CodeAssignmentError            EvaluationCode = "ASSIGNMENT_ERROR"
	CodeTypeMismatch               EvaluationCode = "TYPE_MISMATCH"
	CodeConfigurationMissing       EvaluationCode = "CONFIGURATION_MISSING"
	CodeInvalidArgument            EvaluationCode = "INVALID_ARGUMENT"
	CodeBanditError                EvaluationCode = "BANDIT_ERROR"
	CodeNoActionsSuppliedForBandit EvaluationCode = "NO_ACTIONS_SUPPLIED_FOR_BANDIT"
)

// AllocationCode says what happened to one allocation during an evaluation.
type AllocationCode string

// Allocation codes.
const (
	AllocationMatch               AllocationCode = "MATCH"
	AllocationBeforeStartTime     AllocationCode = "BEFORE_START_TIME"
	AllocationAfterEndTime        AllocationCode = "AFTER_END_TIME"
	AllocationFailingRule         AllocationCode = "FAILING_RULE"
	AllocationTrafficExposureMiss AllocationCode = "TRAFFIC_EXPOSURE_MISS"
	AllocationUnevaluated         AllocationCode = "UNEVALUATED"
)

// AllocationDetails describes one allocation in [EvaluationDetails].
type AllocationDetails struct {
	Key                      string         `json:"key"`
	AllocationEvaluationCode AllocationCode `json:"allocationEvaluationCode"`
	OrderPosition            int            `json:"orderPosition"` // 1-based
}

// Rule is a targeting rule as configured, reported as the matched rule.
type Rule struct {
	Conditions []Condition `json:"conditions"`
}

// Condition is a targeting condition as configured.
type Condition struct {
	Attribute string          `json:"attribute"`
	Operator  string          `json:"operator"`
	Value     json.RawMessage `json:"value"`
}

// EvaluationDetails explains an assignment. Its JSON encoding is exactly the evaluationDetails object of
// Eppo's conformance data.
type EvaluationDetails struct {
	EnvironmentName           string              `json:"environmentName"`
	FlagEvaluationCode        EvaluationCode      `json:"flagEvaluationCode"`
	FlagEvaluationDescription string              `json:"flagEvaluationDescription"`
	BanditKey                 *string             `json:"banditKey"`
	BanditAction              *string             `json:"banditAction"`
	VariationKey              *string             `json:"variationKey"`
	VariationValue            any                 `json:"variationValue"`
	MatchedRule               *Rule               `json:"matchedRule"`
	MatchedAllocation         *AllocationDetails  `json:"matchedAllocation"`
	UnmatchedAllocations      []AllocationDetails `json:"unmatchedAllocations"`
	UnevaluatedAllocations    []AllocationDetails `json:"unevaluatedAllocations"`
}

func newDetails(env string) EvaluationDetails {
	return EvaluationDetails{EnvironmentName: env,
		UnmatchedAllocations: []AllocationDetails{}, UnevaluatedAllocations: []AllocationDetails{}}
}

func ruleDetails(w wireRule) *Rule {
	r := &Rule{Conditions: make([]Condition, len(w.Conditions))}
	for i, c := range w.Conditions {
		r.Conditions[i] = Condition(c)
	}
	return r
}
