package core

import "time"

// ConfigurationSource says where the configuration a [Client] serves came from.
type ConfigurationSource uint8

// Configuration sources.
const (
	// SourceNone: the client has no configuration yet.
	SourceNone ConfigurationSource = iota
	// SourceInitial: [Config.InitialConfiguration].
	SourceInitial
	// SourceCDN: fetched from the CDN (Config.BaseURL).
	SourceCDN
	// SourceManual: installed by [Client.SetConfiguration].
	SourceManual
)

var sourceNames = [...]string{SourceNone: "none", SourceInitial: "initial", SourceCDN: "cdn", SourceManual: "manual"}

// String returns "none", "initial", "cdn" or "manual".
func (s ConfigurationSource) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return "unknown"
}

// ConfigurationInfo describes a configuration a [Client] served or serves.
type ConfigurationInfo struct {
	// Source is where it came from; SourceNone (and every other field zero) before the first one.
	Source ConfigurationSource
	// InstalledAt is when the client started serving it.
	InstalledAt time.Time
	// ETag is the CDN's entity tag of the flags response, the configuration's version ("" when the
	// configuration did not come from the CDN or the CDN sent none).
	ETag string
	// BanditsETag is the entity tag of the bandit models response it serves, if any.
	BanditsETag string
	// Environment is the environment name in the configuration.
	Environment string
	// CreatedAt is when Eppo published the flags (zero if unknown).
	CreatedAt time.Time
	// Flags is the number of flags.
	Flags int
	// Bandits is the number of bandit models loaded.
	Bandits int
}

// Stats reports a client's configuration lifecycle: what it serves and how CDN polling is going.
type Stats struct {
	// Configuration describes the configuration currently served.
	Configuration ConfigurationInfo
	// Polling reports whether the background poller is running.
	Polling bool
	// Fetches counts completed CDN fetch rounds, successful or not.
	Fetches uint64
	// Updates counts configurations installed from the CDN.
	Updates uint64
	// Unchanged counts successful rounds that found the configuration unchanged (HTTP 304 or same body).
	Unchanged uint64
	// Failures counts failed rounds; the last good configuration kept serving through each.
	Failures uint64
	// ConsecutiveFailures counts failed rounds since the last successful one.
	ConsecutiveFailures int
	// LastFetch is when the last round ended; LastSuccess when the last successful one did.
	LastFetch, LastSuccess time.Time
	// LastError is the error of the most recent failed round (never containing the API key), kept after
	// later successes; LastErrorAt is when it happened.
	LastError   error
	LastErrorAt time.Time
	// StoppedBy is the permanent error (e.g. [ErrUnauthorized]) that ended polling, if any.
	StoppedBy error
}

// infoFor describes cfg as installed now from source.
func infoFor(cfg *Configuration, source ConfigurationSource, now time.Time) ConfigurationInfo {
	info := ConfigurationInfo{
		Source:      source,
		InstalledAt: now,
		Environment: cfg.environment,
		CreatedAt:   cfg.createdAt,
		Flags:       len(cfg.flags),
	}
	if cfg.bandits != nil {
		info.Bandits = len(cfg.bandits.Bandits)
	}
	return info
}

// ConfigurationInfo describes the configuration currently served (Source is SourceNone before the first).
func (c *Client) ConfigurationInfo() ConfigurationInfo {
	if c == nil || c.lifecycle == nil {
		return ConfigurationInfo{}
	}
	c.lifecycle.mu.Lock()
	defer c.lifecycle.mu.Unlock()
	return c.lifecycle.info
}

// Stats returns a snapshot of the client's configuration lifecycle.
func (c *Client) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	l := c.lifecycle
	if l == nil {
		return Stats{}
	}
	l.mu.Lock()
	s := l.stats
	s.Configuration = l.info
	l.mu.Unlock()
	if l.poller != nil {
		select {
		case <-l.poller.Done():
			s.StoppedBy = l.stoppedBy()
		default:
			s.Polling = true
		}
	}
	return s
}
