// Package core evaluates Eppo feature flags, experiments and contextual bandits.
//
// A [Configuration] is Eppo's Universal Flag Configuration (and, optionally, its bandit models), parsed
// and compiled once by [NewConfiguration]: regular expressions, numbers, semantic versions and dates are
// prepared there, never per assignment. A [Client] serves the current configuration to any number of
// goroutines; [Client.SetConfiguration] swaps it atomically. With an API key the client keeps its
// configuration fresh from Eppo's CDN; without one it is fully offline.
//
// The typed getters (GetStringAssignment, GetIntegerAssignment, GetNumericAssignment,
// GetBooleanAssignment, GetJSONAssignment, GetJSONBytesAssignment) return the assigned value, or the
// caller's default together with an error wrapping one of the sentinel errors (ErrFlagNotFound,
// ErrTypeMismatch, ...). Their Details variants explain the evaluation with an [EvaluationDetails] value
// that encodes exactly like the evaluationDetails objects of Eppo's conformance data.
//
// Evaluation does no I/O and, on the common path, no allocation. When an allocation asks for logging, the
// client builds an [AssignmentEvent] (with its own copy of the caller's attributes) and hands it to the
// configured [AssignmentLogger] on the caller's goroutine: use a logger that never blocks, such as the
// Processor of package github.com/eppokit/eppokit/batching. A panicking logger is recovered and counted
// ([Client.LoggerPanics]); the assignment is still returned.
package core
