package rudderstack

import (
	analytics "github.com/rudderlabs/analytics-go/v4"

	"github.com/eppokit/eppokit/adapters/internal/trackexport"
)

// library is analytics-go/v4 as the shared exporter drives it.
func library(cfg Config) trackexport.Library[analytics.Message] {
	return trackexport.Library[analytics.Message]{
		Track: func(m trackexport.Message) analytics.Message {
			return analytics.Track{MessageId: m.ID, UserId: m.UserID, Event: m.Event,
				OriginalTimestamp: m.Timestamp, Properties: m.Properties}
		},
		ID: trackexport.TrackID[analytics.Message](func(t *analytics.Track) string { return t.MessageId }),
		Start: func(p trackexport.Parts, cb trackexport.Callback[analytics.Message]) (trackexport.LibraryClient[analytics.Message], error) {
			return analytics.NewWithConfig(cfg.WriteKey, analytics.Config{
				DataPlaneUrl: cfg.DataPlaneURL, DisableGzip: cfg.DisableGzip,
				// No multi-node proxy: no RS-* routing headers, and no cluster-info lookups.
				NoProxySupport: true,
				Interval:       p.Settings.Interval, BatchSize: p.Settings.BatchSize, Transport: p.Transport,
				Logger: p.Logger, Callback: cb, RetryAfter: trackexport.NoWait})
		},
		Adapter: "rudderstack", Invalid: ErrInvalidConfig, DefaultBatchSize: DefaultBatchSize,
		// The library sends one request body ten times (the constant in its client.send) before it
		// reports a failure; its "too many requests in flight" is worth retrying.
		Attempts: 10, Transient: []error{analytics.ErrTooManyRequests},
	}
}
