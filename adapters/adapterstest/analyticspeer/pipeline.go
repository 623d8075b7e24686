package analyticspeer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/batching"
)

// NewLoggerFunc builds an adapter's ready pipeline (its NewLogger) aimed at peer.
type NewLoggerFunc func(t *testing.T, peer *Server, o Options, opts ...batching.Option) *batching.Processor

// quickRetries keeps the pipeline's backoff short so that fault tests take milliseconds.
var quickRetries = []batching.Option{
	batching.WithLogger(slog.New(slog.DiscardHandler)),
	batching.WithBatchSize(100),
	batching.WithLinger(5 * time.Millisecond),
	batching.WithRetryInterval(5*time.Millisecond, 20*time.Millisecond),
}

// RunPipelineTests drives the adapter behind the shared pipeline against the real peer and checks the
// accounting identity for each fault of pipeline.md §8: what the peer stored equals what Stats says was
// delivered (count and content), and everything else is a counted drop.
func RunPipelineTests(t *testing.T, s Suite, newLogger NewLoggerFunc) {
	start := func(t *testing.T, o Options, opts ...batching.Option) (*batching.Processor, *Server) {
		peer := New(t, s.WriteKey)
		if o.WriteKey == "" {
			o.WriteKey = s.WriteKey
		}
		if o.RequestTimeout == 0 {
			o.RequestTimeout = 2 * time.Second
		}
		p := newLogger(t, peer, o, append(slices.Clone(quickRetries), opts...)...)
		t.Cleanup(func() { p.Close(context.Background()) })
		return p, peer
	}

	t.Run("Healthy", func(t *testing.T) {
		p, peer := start(t, Options{})
		logged := logAll(p, adapterstest.Events("healthy", 1000, 11))
		if err := p.Close(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Close: %v", err)
		}
		st := s.checkIdentity(t, p, peer, logged)
		if st.Delivered != uint64(len(logged)) {
			t.Fatalf("delivered %d of %d with a healthy peer; dropped %v", st.Delivered, len(logged), st.Dropped)
		}
	})

	t.Run("ServerErrorThenRecover", func(t *testing.T) {
		p, peer := start(t, Options{})
		peer.SetFault(func(n int) Reply {
			if n <= 2 {
				return Reply{Status: http.StatusInternalServerError}
			}
			return Reply{}
		})
		logged := logAll(p, adapterstest.Events("recover", 300, 12))
		if err := p.Close(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Close: %v", err)
		}
		st := s.checkIdentity(t, p, peer, logged)
		if st.Delivered != uint64(len(logged)) {
			t.Fatalf("delivered %d of %d after the peer recovered; dropped %v", st.Delivered, len(logged), st.Dropped)
		}
		if st.Retried == 0 || st.Retried != uint64(peer.Rejected()) {
			t.Fatalf("Stats.Retried = %d, peer refused %d messages: each refusal must be retried once",
				st.Retried, peer.Rejected())
		}
	})

	t.Run("TooManyRequestsHonoursRetryAfter", func(t *testing.T) {
		p, peer := start(t, Options{})
		peer.SetFault(func(n int) Reply {
			if n == 1 {
				return Reply{Status: http.StatusTooManyRequests, RetryAfter: "1"}
			}
			return Reply{}
		})
		logged := logAll(p, adapterstest.Events("throttled", 50, 13))
		begin := time.Now()
		if err := p.Flush(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if took := time.Since(begin); took < time.Second {
			t.Fatalf("delivered after %s, before the 1s Retry-After", took)
		}
		if err := p.Close(ctxFor(t, 5*time.Second)); err != nil {
			t.Fatalf("Close: %v", err)
		}
		st := s.checkIdentity(t, p, peer, logged)
		if st.Delivered != uint64(len(logged)) || st.Retried != uint64(peer.Rejected()) {
			t.Fatalf("delivered %d of %d, retried %d for %d refused", st.Delivered, len(logged), st.Retried, peer.Rejected())
		}
	})

	t.Run("BadRequestIsRejectedNotRetried", func(t *testing.T) {
		p, peer := start(t, Options{})
		peer.SetFault(func(int) Reply { return Reply{Status: http.StatusBadRequest} })
		logged := logAll(p, adapterstest.Events("bad", 250, 14))
		if err := p.Close(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Close: %v", err)
		}
		st := s.checkIdentity(t, p, peer, logged)
		if got := st.Dropped[batching.ReasonRejected]; got != uint64(len(logged)) {
			t.Fatalf("rejected %d of %d; stats %+v", got, len(logged), st)
		}
		if st.Retried != 0 || peer.Rejected() != len(logged) {
			t.Fatalf("a 400 was retried: the peer refused %d messages for %d logged, Retried %d",
				peer.Rejected(), len(logged), st.Retried)
		}
	})

	t.Run("OversizedEventDroppedAlone", func(t *testing.T) {
		p, peer := start(t, Options{})
		events := adapterstest.Events("mixed", 60, 15)
		events = append(events, adapterstest.SizedEvents("huge", 1, 40<<10)...) // above 32 KB per message
		logged := logAll(p, events)
		if err := p.Close(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Close: %v", err)
		}
		st := s.checkIdentity(t, p, peer, logged)
		if st.Delivered != 60 || st.Dropped[batching.ReasonRejected] != 1 {
			t.Fatalf("delivered %d (want 60), rejected %d (want 1)", st.Delivered, st.Dropped[batching.ReasonRejected])
		}
	})

	t.Run("HangingPeerCloseKeepsDeadline", func(t *testing.T) {
		p, peer := start(t, Options{}, batching.WithExportTimeout(5*time.Second))
		first := logAll(p, adapterstest.Events("before", 120, 16))
		if err := p.Flush(ctxFor(t, 10*time.Second)); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		peer.SetFault(func(int) Reply { return Reply{Hang: true} })
		stuck := logAll(p, adapterstest.Events("stuck", 150, 17))
		const deadline = 400 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		begin := time.Now()
		err := p.Close(ctx)
		if took := time.Since(begin); took > deadline+100*time.Millisecond {
			t.Fatalf("Close took %s with a %s deadline", took, deadline)
		}
		var ue *batching.UndeliveredError
		if !errors.As(err, &ue) || ue.Count != uint64(len(stuck)) {
			t.Fatalf("Close = %v, want an UndeliveredError counting the %d stuck events", err, len(stuck))
		}
		st := s.checkIdentity(t, p, peer, append(first, stuck...))
		if st.Delivered != uint64(len(first)) || st.Dropped[batching.ReasonShutdown] != uint64(len(stuck)) {
			t.Fatalf("delivered %d (want %d), shutdown drops %d (want %d)", st.Delivered, len(first),
				st.Dropped[batching.ReasonShutdown], len(stuck))
		}
	})
}

// logAll logs events through p, as an application would, and returns them.
func logAll(p *batching.Processor, events []batching.Event) []batching.Event {
	for _, e := range events {
		switch e.Kind {
		case batching.KindAssignment:
			p.LogAssignment(*e.Assignment)
		case batching.KindBandit:
			p.LogBanditAction(*e.Bandit)
		}
	}
	return events
}

// checkIdentity checks, after Close, that every logged event is settled, that the peer stored exactly the
// delivered events (distinct messageIds, no unexpected ones) and that their content is among what was
// logged. The pipeline assigns the event IDs, so content is compared without them.
func (s Suite) checkIdentity(t *testing.T, p *batching.Processor, peer *Server, logged []batching.Event) batching.Stats {
	t.Helper()
	st := p.Stats()
	if st.Accepted != uint64(len(logged)) || st.Pending != 0 ||
		st.Accepted != st.Delivered+st.DroppedTotal() {
		t.Fatalf("accounting: accepted %d (logged %d) = delivered %d + dropped %v + pending %d does not hold",
			st.Accepted, len(logged), st.Delivered, st.Dropped, st.Pending)
	}
	got := s.received(t, peer)
	ids := peer.IDs()
	if uint64(len(ids)) != st.Delivered {
		t.Fatalf("peer holds %d distinct events, Stats.Delivered = %d", len(ids), st.Delivered)
	}
	want := make(map[string]int, len(logged))
	for _, e := range logged {
		e.ID = ""
		want[adapterstest.Canonical(e)]++
	}
	seen := make(map[string]bool, len(got))
	for _, e := range got {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		e.ID = ""
		c := adapterstest.Canonical(e)
		if want[c] == 0 {
			t.Fatalf("peer holds an event that was not logged (or was altered): %s", c)
		}
		want[c]--
	}
	return st
}
