package segment

import (
	"errors"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/batching"
)

func TestSinkConformance(t *testing.T) {
	adapterstest.RunSinkTests(t, func(t *testing.T) (batching.Sink, adapterstest.Peer) {
		sink, peer := newTestSink(t, nil)
		return sink, peerView{peer}
	})
}

func TestNewSinkNeedsWriteKey(t *testing.T) {
	if _, err := NewSink(Config{}); !errors.Is(err, ErrNoWriteKey) {
		t.Fatalf("NewSink without a write key = %v, want ErrNoWriteKey", err)
	}
}

func TestExportSendsTrackCallsWithStableMessageIDs(t *testing.T) {
	sink, peer := newTestSink(t, nil)
	sent := adapterstest.Events("track", 120, 7)
	if err := sink.Export(ctxFor(t, 5*time.Second), batching.Batch{ID: "b1", Attempt: 1, Events: sent}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	// Export returned nil only after Segment's confirmations, so the peer already holds everything.
	got := received(t, peer)
	if c := adapterstest.Compare(sent, got); !c.Exact() {
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
			subject, ts, name = e.Assignment.Subject, e.Assignment.Timestamp, DefaultAssignmentEvent
		case batching.KindBandit:
			subject, ts, name = e.Bandit.Subject, e.Bandit.Timestamp, DefaultBanditEvent
		}
		if m.UserID != subject || m.Event != name {
			t.Fatalf("message %s: userId %q event %q, want %q %q", m.MessageID, m.UserID, m.Event, subject, name)
		}
		if at, err := time.Parse(time.RFC3339Nano, m.Timestamp); err != nil || !at.Equal(ts) {
			t.Fatalf("message %s: timestamp %q, want the exposure time %s", m.MessageID, m.Timestamp, ts)
		}
	}
}
