package core

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// benchPollingClient returns a client initialized from cdn whose own poller stays asleep, so the
// benchmark can drive poll rounds itself (one at a time, like the poller).
func benchPollingClient(b *testing.B, cdn *fakeCDN) *Client {
	c, err := NewClient(Config{APIKey: testAPIKey, BaseURL: cdn.baseURL(), PollInterval: time.Hour,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	if err := c.WaitForInitialization(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkPollRoundNotModified is the steady state: one conditional request answered 304.
func BenchmarkPollRoundNotModified(b *testing.B) {
	c := benchPollingClient(b, newFakeCDN(b, "flags-v1.json", ""))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.lifecycle.step(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPollRoundChanged downloads and compiles a changed flags configuration (flags-v1.json, 22
// flags) every round.
func BenchmarkPollRoundChanged(b *testing.B) {
	cdn := newFakeCDN(b, "flags-v1.json", "")
	c := benchPollingClient(b, cdn)
	bodies := [2][]byte{cdn.flags, editJSON(b, cdn.flags, func(m map[string]any) { m["createdAt"] = "2030-01-01T00:00:00Z" })}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		cdn.setFlags(bodies[i%2], "") // no ETag: every round is a full download
		if err := c.lifecycle.step(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if c.Stats().Updates < 2 {
		b.Fatal("the rounds installed nothing")
	}
}

// BenchmarkStats reads the lifecycle snapshot from many goroutines.
func BenchmarkStats(b *testing.B) {
	c := benchPollingClient(b, newFakeCDN(b, "flags-v1.json", ""))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if c.Stats().Configuration.Flags == 0 {
				b.Error("no configuration")
				return
			}
		}
	})
}
