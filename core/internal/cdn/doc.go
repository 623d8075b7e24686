// Package cdn fetches Eppo configuration from the Eppo CDN over HTTP and runs the background polling
// loop that keeps it fresh.
//
// It knows nothing about flags or bandits: a [Fetcher] returns raw response bodies, and a [Poller]
// calls whatever step function its owner gives it. Package core parses the bodies and decides what
// to store.
//
// The SDK key travels in the query string, so every error this package returns and every line it
// logs is passed through [Redact] (and a literal-key scrub) first.
package cdn
