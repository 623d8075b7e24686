package core

import "bytes"

// The typed getters. Each returns the assigned value, or the caller's default together with a non-nil
// error (wrapping one of the sentinel errors). The Details variants also explain the evaluation.

// Value extractors per type; JSON values are copied so that callers may modify what they get.
func stringOf(v *variation) string   { return v.str }
func integerOf(v *variation) int64   { return v.i }
func numericOf(v *variation) float64 { return v.f }
func booleanOf(v *variation) bool    { return v.b }
func jsonOf(v *variation) any        { return deepCopyJSON(v.jsonV) }
func jsonBytesOf(v *variation) []byte {
	return bytes.Clone(v.jsonB)
}

func get[T any](c *Client, flagKey, subjectKey string, attrs Attributes, vt VariationType, def T, value func(*variation) T) (T, error) {
	v, err := c.assign(flagKey, subjectKey, attrs, vt, nil)
	if err != nil {
		return def, err
	}
	return value(v), nil
}

func getDetails[T any](c *Client, flagKey, subjectKey string, attrs Attributes, vt VariationType, def T, value func(*variation) T) (T, EvaluationDetails, error) {
	d := newDetails("")
	v, err := c.assign(flagKey, subjectKey, attrs, vt, &d)
	if err != nil {
		return def, d, err
	}
	return value(v), d, nil
}

// GetStringAssignment returns the STRING flag's value for the subject.
func (c *Client) GetStringAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue string) (string, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeString, defaultValue, stringOf)
}

// GetIntegerAssignment returns the INTEGER flag's value for the subject.
func (c *Client) GetIntegerAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue int64) (int64, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeInteger, defaultValue, integerOf)
}

// GetNumericAssignment returns the NUMERIC flag's value for the subject.
func (c *Client) GetNumericAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue float64) (float64, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeNumeric, defaultValue, numericOf)
}

// GetBooleanAssignment returns the BOOLEAN flag's value for the subject.
func (c *Client) GetBooleanAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue bool) (bool, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeBoolean, defaultValue, booleanOf)
}

// GetJSONAssignment returns the JSON flag's value for the subject, parsed (objects are map[string]any,
// numbers float64). The value is the caller's own copy.
func (c *Client) GetJSONAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue any) (any, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeJSON, defaultValue, jsonOf)
}

// GetJSONBytesAssignment returns the JSON flag's value for the subject as the raw JSON text configured.
// The slice is the caller's own copy.
func (c *Client) GetJSONBytesAssignment(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue []byte) ([]byte, error) {
	return get(c, flagKey, subjectKey, subjectAttributes, TypeJSON, defaultValue, jsonBytesOf)
}

// GetStringAssignmentDetails is [Client.GetStringAssignment] with evaluation details.
func (c *Client) GetStringAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue string) (string, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeString, defaultValue, stringOf)
}

// GetIntegerAssignmentDetails is [Client.GetIntegerAssignment] with evaluation details.
func (c *Client) GetIntegerAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue int64) (int64, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeInteger, defaultValue, integerOf)
}

// GetNumericAssignmentDetails is [Client.GetNumericAssignment] with evaluation details.
func (c *Client) GetNumericAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue float64) (float64, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeNumeric, defaultValue, numericOf)
}

// GetBooleanAssignmentDetails is [Client.GetBooleanAssignment] with evaluation details.
func (c *Client) GetBooleanAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue bool) (bool, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeBoolean, defaultValue, booleanOf)
}

// GetJSONAssignmentDetails is [Client.GetJSONAssignment] with evaluation details.
func (c *Client) GetJSONAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue any) (any, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeJSON, defaultValue, jsonOf)
}

// GetJSONBytesAssignmentDetails is [Client.GetJSONBytesAssignment] with evaluation details.
func (c *Client) GetJSONBytesAssignmentDetails(flagKey, subjectKey string, subjectAttributes Attributes, defaultValue []byte) ([]byte, EvaluationDetails, error) {
	return getDetails(c, flagKey, subjectKey, subjectAttributes, TypeJSON, defaultValue, jsonBytesOf)
}
