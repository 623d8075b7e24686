// Package openfeature is an OpenFeature provider (github.com/open-feature/go-sdk) backed by an eppokit
// core.Client, so code written against the vendor-neutral OpenFeature API gets eppokit's evaluation and
// its exposure pipeline (dedupe, batching, counted drops).
//
// # Evaluation
//
// Boolean, String, Float, Int and Object evaluations call the client's GetBooleanAssignmentDetails,
// GetStringAssignmentDetails, GetNumericAssignmentDetails, GetIntegerAssignmentDetails and
// GetJSONAssignmentDetails; Object returns the decoded JSON (map[string]any or []any). The context's
// targeting key is the subject key. Other context values become subject attributes: numbers of any Go
// kind as float64, strings and bools as they are, nested map[string]any values flattened with dots
// ({"device": {"os": "ios"}} gives "device.os"); slices, nil and other types (structs, time.Time) are
// dropped.
//
// Results map to OpenFeature as follows. A match reports TARGETING_MATCH when a rule matched, SPLIT when
// the allocation divides traffic by subject hash, and STATIC otherwise. No matching allocation, and an
// empty targeting key, report DEFAULT with the default value and no error, as Eppo's SDKs do; a disabled
// flag reports DISABLED. Errors report reason ERROR with FLAG_NOT_FOUND (absent flag), TYPE_MISMATCH,
// PARSE_ERROR (an unusable flag configuration or variation value), PROVIDER_NOT_READY (no configuration
// yet) or GENERAL.
//
// Variant is the variation key. FlagMetadata carries allocationKey and doLog (when an allocation
// matched), evaluationCode and evaluationDescription (Eppo's flagEvaluationCode and description),
// version (the CDN's ETag of the configuration, or when it was installed) and flagSetId (the
// configuration's environment name), so the go-sdk telemetry helpers fill feature_flag.version and
// feature_flag.set.id.
//
// # Exposures
//
// The client's getters log exposures through its AssignmentLogger, exactly as without OpenFeature; the
// provider adds no hook of its own, so nothing is logged twice and an allocation's doLog=false is honoured
// in one place. One edge: when an OpenFeature After hook returns an error, the SDK hands the caller the
// default value, but the exposure of the evaluated variation was already logged.
//
// Bandits are not available through this provider: use core.Client.GetBanditAction directly.
//
// # Lifecycle and events
//
// The provider implements ContextAwareStateHandler: InitWithContext waits for the client's first
// configuration, and returns early when ctx ends or the provider is shut down. When it returns the SDK
// emits PROVIDER_READY, once. The provider's EventHandler then sends PROVIDER_CONFIGURATION_CHANGED on
// every configuration swap, with FlagChanges listing exactly the flags whose configuration changed since
// the previous event (swaps in quick succession may arrive as one event); PROVIDER_STALE once CDN
// polling has failed a number of times in a row (WithStaleAfter), while the last good configuration
// keeps serving; PROVIDER_ERROR when polling stopped for good (a rejected API key); and PROVIDER_READY
// again when fetches recover. The provider checks the client's polling statistics every
// WithHealthInterval, on one goroutine that runs only while the client polls. Sends never block: when
// the channel buffer is full the event is dropped and counted (Provider.DroppedEvents).
//
// By default shutting the provider down leaves the client open, since it may serve other code. With
// WithOwnedClient, shutdown also closes the client and then the given pipelines, which flushes them.
package openfeature
