package segment

import (
	"context"
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/internal/analyticspeer"
	"github.com/eppokit/eppokit/batching"
)

const testKey = "seg-write-key"

// newTestSink starts a peer and a sink aimed at it; edit adjusts the configuration.
func newTestSink(t *testing.T, edit func(*Config)) (*Sink, *analyticspeer.Server) {
	t.Helper()
	peer := analyticspeer.New(t, testKey)
	cfg := Config{WriteKey: testKey, Endpoint: peer.URL, RequestTimeout: 2 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	sink, err := NewSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sink.Close(ctx)
	})
	return sink, peer
}

// received decodes what the peer stored under the default event names.
func received(t *testing.T, peer *analyticspeer.Server) []batching.Event {
	t.Helper()
	got, err := peer.Events(DefaultAssignmentEvent, DefaultBanditEvent)
	if err != nil {
		t.Fatal(err)
	}
	if p := peer.Problems(); len(p) > 0 {
		t.Fatalf("peer saw malformed requests: %q", p)
	}
	return got
}

// peerView adapts the peer to adapterstest.Peer.
type peerView struct{ s *analyticspeer.Server }

func (p peerView) Received(context.Context) ([]batching.Event, error) {
	return p.s.Events(DefaultAssignmentEvent, DefaultBanditEvent)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
