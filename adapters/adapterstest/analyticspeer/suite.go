package analyticspeer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/batching"
)

// Sink is what the suite needs of an adapter's sink.
type Sink interface {
	batching.Sink
	Late() (delivered, failed uint64)
	Requests() (sent, replayed uint64)
}

// Options are the settings the suite varies; zero fields mean the suite's defaults.
type Options struct {
	// WriteKey overrides the key the sink sends (the peer expects [Suite.WriteKey]).
	WriteKey string
	// RequestTimeout bounds each request; default 2s.
	RequestTimeout time.Duration
	// Interval is how long the library holds a partial batch; default 50ms, long enough that a loaded
	// machine does not split one Export into two requests when a test counts them.
	Interval time.Duration
	// AssignmentEvent and BanditEvent are Track event names to configure; empty means the defaults.
	AssignmentEvent, BanditEvent string
}

// Suite runs the fault tests both adapters share against a real peer.
type Suite struct {
	// WriteKey is the key the peer expects.
	WriteKey string
	// AssignmentEvent and BanditEvent are the sink's Track event names.
	AssignmentEvent, BanditEvent string
	// LibraryAttempts is how many times the library tries one request before it gives up.
	LibraryAttempts int
	// New builds a sink aimed at peer; the suite closes it.
	New func(t *testing.T, peer *Server, o Options) Sink
}

func (s Suite) start(t *testing.T, o Options) (Sink, *Server) {
	t.Helper()
	peer := New(t, s.WriteKey)
	if o.WriteKey == "" {
		o.WriteKey = s.WriteKey
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 2 * time.Second
	}
	if o.Interval == 0 {
		o.Interval = 50 * time.Millisecond
	}
	sink := s.New(t, peer, o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sink.Close(ctx)
	})
	return sink, peer
}

// received decodes what the peer stored and fails on malformed requests.
func (s Suite) received(t *testing.T, peer *Server) []batching.Event {
	t.Helper()
	got, err := peer.Events(s.AssignmentEvent, s.BanditEvent)
	if err != nil {
		t.Fatal(err)
	}
	if p := peer.Problems(); len(p) > 0 {
		t.Fatalf("peer saw malformed requests: %q", p)
	}
	return got
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// RunFaultTests checks the delivery faults at the Export level: a 500 is transient and sent once
// (the library does not retry on its own), a 429's Retry-After reaches the pipeline, a 400 and a wrong
// write key are permanent, an oversized or invalid event fails alone, and a hung peer leaves Export and
// Close within their deadlines with every event reported.
func RunFaultTests(t *testing.T, s Suite) {
	t.Run("ServerErrorIsTransientAndNotRetriedByTheLibrary", func(t *testing.T) { testServerErrorIsTransientAndNotRetriedByTheLibrary(t, s) })
	t.Run("TooManyRequestsCarriesRetryAfter", func(t *testing.T) { testTooManyRequestsCarriesRetryAfter(t, s) })
	t.Run("BadRequestIsPermanentAndSentOnce", func(t *testing.T) { testBadRequestIsPermanentAndSentOnce(t, s) })
	t.Run("WrongWriteKeyIsPermanent", func(t *testing.T) { testWrongWriteKeyIsPermanent(t, s) })
	t.Run("OversizedEventFailsAloneAndInvalidEventIsRefused", func(t *testing.T) { testOversizedEventFailsAloneAndInvalidEventIsRefused(t, s) })
	t.Run("HangingPeer", func(t *testing.T) { testHangingPeer(t, s) })
}

func testServerErrorIsTransientAndNotRetriedByTheLibrary(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	peer.SetFault(func(n int) Reply {
		if n == 1 {
			return Reply{Status: http.StatusInternalServerError}
		}
		return Reply{}
	})
	sent := adapterstest.Events("e500", 40, 1)
	err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	if err == nil || batching.IsPermanent(err) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Export against a 500 = %v, want a transient error naming the status", err)
	}
	if n := peer.Requests(); n != 1 {
		t.Fatalf("peer got %d requests for one failed export, want 1: the library must leave retries to the pipeline", n)
	}
	if _, replayed := sink.Requests(); replayed != uint64(s.LibraryAttempts-1) {
		t.Fatalf("library retries answered from memory = %d, want %d", replayed, uint64(s.LibraryAttempts-1))
	}
	if err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 2, Events: sent}); err != nil {
		t.Fatalf("second attempt after recovery: %v", err)
	}
	if c := adapterstest.Compare(sent, s.received(t, peer)); !c.Exact() {
		t.Fatalf("peer content after recovery: %s", c)
	}
}

func testTooManyRequestsCarriesRetryAfter(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	peer.SetFault(func(int) Reply {
		return Reply{Status: http.StatusTooManyRequests, RetryAfter: "3"}
	})
	err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1,
		Events: adapterstest.Events("e429", 10, 2)})
	var ra *batching.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 3*time.Second || batching.IsPermanent(err) {
		t.Fatalf("Export against a 429 = %v, want a transient RetryAfterError of 3s", err)
	}
	if len(peer.Messages()) != 0 {
		t.Fatal("the peer stored messages it refused")
	}
}

func testBadRequestIsPermanentAndSentOnce(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	peer.SetFault(func(int) Reply { return Reply{Status: http.StatusBadRequest} })
	err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1,
		Events: adapterstest.Events("e400", 10, 3)})
	if !batching.IsPermanent(err) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("Export against a 400 = %v, want a permanent error naming the status", err)
	}
	if n := peer.Requests(); n != 1 {
		t.Fatalf("peer got %d requests, want 1", n)
	}
}

func testWrongWriteKeyIsPermanent(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{WriteKey: "not-the-key"})
	err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1,
		Events: adapterstest.Events("auth", 3, 4)})
	if !batching.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Export with a wrong write key = %v, want a permanent 401", err)
	}
	if len(peer.Problems()) != 1 {
		t.Fatalf("peer problems = %q, want the bad auth reported once", peer.Problems())
	}
}

func testOversizedEventFailsAloneAndInvalidEventIsRefused(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	sent := adapterstest.Events("mixed", 6, 5)
	big := adapterstest.SizedEvents("big", 1, 40<<10) // above the library's 32 KB per message
	noSubject := adapterstest.SizedEvents("nosubject", 1, 0)
	noSubject[0].Assignment.Subject = ""
	batch := append(append(append([]batching.Event{}, sent[:3]...), big[0], noSubject[0]), sent[3:]...)
	err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: batch})
	var pe *batching.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 2 {
		t.Fatalf("Export = %v, want a PartialError for the oversized and the subject-less event", err)
	}
	for _, i := range []int{3, 4} {
		if !batching.IsPermanent(pe.Failed[i]) {
			t.Fatalf("event %d failed with %v, want a permanent error", i, pe.Failed[i])
		}
	}
	if c := adapterstest.Compare(sent, s.received(t, peer)); !c.Exact() {
		t.Fatalf("the valid events must arrive: %s", c)
	}
}

func testHangingPeer(t *testing.T, s Suite) {
	t.Run("RequestTimeoutIsTransient", func(t *testing.T) {
		sink, peer := s.start(t, Options{RequestTimeout: 100 * time.Millisecond})
		peer.SetFault(func(int) Reply { return Reply{Hang: true} })
		err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1,
			Events: adapterstest.Events("hang", 5, 6)})
		if err == nil || batching.IsPermanent(err) {
			t.Fatalf("Export against a hung peer = %v, want a transient error", err)
		}
		if n := peer.Requests(); n != 1 {
			t.Fatalf("peer got %d requests, want 1", n)
		}
	})
	t.Run("ExportAndCloseKeepTheirDeadlines", func(t *testing.T) {
		sink, peer := s.start(t, Options{})
		peer.SetFault(func(int) Reply { return Reply{Hang: true} })
		sent := adapterstest.Events("hang", 25, 7)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := sink.Export(ctx, batching.Batch{ID: "b", Attempt: 1, Events: sent})
		if took := time.Since(start); took > 450*time.Millisecond {
			t.Fatalf("Export took %s past a 200ms deadline", took)
		}
		if err == nil || batching.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Export = %v, want a transient error caused by the deadline", err)
		}
		closeCtx, cancelClose := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancelClose()
		start = time.Now()
		if err := sink.Close(closeCtx); err == nil {
			t.Fatal("Close with a request hanging returned nil")
		}
		if took := time.Since(start); took > 200*time.Millisecond {
			t.Fatalf("Close took %s with a 150ms deadline", took)
		}
		if len(peer.Messages()) != 0 {
			t.Fatal("a hung peer stored messages")
		}
		// The aborted request makes the library report the events, after Export gave up on them.
		Eventually(t, 2*time.Second, "late failures counted", func() bool {
			_, failed := sink.Late()
			return failed == uint64(len(sent))
		})
	})
}

// RunDeliveryTests checks what reaches the peer: the module's Sink conformance suite, and Track calls
// with userId = subject, messageId = event ID, the exposure time as the message's timestamp, the event's
// fields as properties, and the configured event names.
func RunDeliveryTests(t *testing.T, s Suite) {
	t.Run("Conformance", func(t *testing.T) {
		adapterstest.RunSinkTests(t, func(t *testing.T) (batching.Sink, adapterstest.Peer) {
			sink, peer := s.start(t, Options{})
			return sink, peerView{peer, s}
		})
	})
	t.Run("TrackCalls", func(t *testing.T) { testTrackCalls(t, s) })
	t.Run("MetadataCarriesSDKLanguage", func(t *testing.T) { testMetadata(t, s) })
	t.Run("CustomEventNames", func(t *testing.T) {
		s.AssignmentEvent, s.BanditEvent = "Exposure", "Bandit Pick"
		sink, peer := s.start(t, Options{AssignmentEvent: s.AssignmentEvent, BanditEvent: s.BanditEvent})
		sent := adapterstest.Events("named", 30, 9)
		if err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
			t.Fatalf("Export: %v", err)
		}
		if c := adapterstest.Compare(sent, s.received(t, peer)); !c.Exact() {
			t.Fatalf("peer content under custom names: %s", c)
		}
	})
}

type peerView struct {
	s     *Server
	suite Suite
}

func (p peerView) Received(context.Context) ([]batching.Event, error) {
	return p.s.Events(p.suite.AssignmentEvent, p.suite.BanditEvent)
}

func testTrackCalls(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	sent := adapterstest.Events("track", 120, 7)
	if err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b1", Attempt: 1, Events: sent}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	// Export returned nil only after the service's confirmations, so the peer already holds everything.
	if c := adapterstest.Compare(sent, s.received(t, peer)); !c.Exact() {
		t.Fatalf("peer content differs: %s", c)
	}
	byID := make(map[string]batching.Event, len(sent))
	for _, e := range sent {
		byID[e.ID] = e
	}
	for _, m := range peer.Messages() {
		e := byID[m.MessageID]
		subject, ts, name := "", time.Time{}, ""
		switch e.Kind {
		case batching.KindAssignment:
			subject, ts, name = e.Assignment.Subject, e.Assignment.Timestamp, s.AssignmentEvent
		case batching.KindBandit:
			subject, ts, name = e.Bandit.Subject, e.Bandit.Timestamp, s.BanditEvent
		}
		if m.UserID != subject || m.Event != name {
			t.Fatalf("message %s: userId %q event %q, want %q %q", m.MessageID, m.UserID, m.Event, subject, name)
		}
		stamp := m.Timestamp
		if stamp == "" {
			stamp = m.OriginalTimestamp
		}
		if at, err := time.Parse(time.RFC3339Nano, stamp); err != nil || !at.Equal(ts) {
			t.Fatalf("message %s: timestamp %q, want the exposure time %s", m.MessageID, stamp, ts)
		}
	}
}

// testMetadata sends events logged by a real client and checks the request bodies: every message's
// properties.metaData holds sdkLanguage "go" and sdkVersion, Eppo's keys, beside sdkName.
func testMetadata(t *testing.T, s Suite) {
	sink, peer := s.start(t, Options{})
	sent := adapterstest.ClientEvents(t)
	if err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "m", Attempt: 1, Events: sent}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	msgs := peer.Messages()
	if len(msgs) != len(sent) {
		t.Fatalf("peer holds %d messages, want %d", len(msgs), len(sent))
	}
	for _, m := range msgs {
		var props struct {
			MetaData map[string]any `json:"metaData"`
		}
		if err := json.Unmarshal(m.Properties, &props); err != nil {
			t.Fatal(err)
		}
		if err := adapterstest.CheckSDKLanguage(props.MetaData); err != nil {
			t.Errorf("message %s (%s): %v", m.MessageID, m.Event, err)
		}
	}
}
