package adapterstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eppokit/eppokit/batching"
)

// Peer reads back what the real protocol peer behind a sink (a file, a broker, an HTTP server) has stored.
type Peer interface {
	// Received returns every event stored so far, decoded, in arrival order.
	Received(ctx context.Context) ([]batching.Event, error)
}

// NewSinkFunc starts a fresh peer and returns a sink that delivers to it. Cleanup goes through t.Cleanup.
type NewSinkFunc func(t *testing.T) (batching.Sink, Peer)

// RunSinkTests checks the [batching.Sink] contract against a real peer: every exported event arrives once
// and intact, empty batches are fine, a cancelled context returns promptly, Flush (for a
// [batching.Flusher]) succeeds, Close is idempotent and Export after Close is a permanent error.
func RunSinkTests(t *testing.T, newSink NewSinkFunc) {
	t.Run("DeliversEveryEventIntact", func(t *testing.T) {
		sink, peer := newSink(t)
		sent := Events("conformance", 230, 42)
		for start := 0; start < len(sent); start += 50 {
			batch := batching.Batch{ID: "b", Attempt: 1, Events: Encode(t, sink, sent[start:min(start+50, len(sent))])}
			if err := sink.Export(timeout(t), batch); err != nil {
				t.Fatalf("Export: %v", err)
			}
		}
		if f, ok := sink.(batching.Flusher); ok {
			if err := f.Flush(timeout(t)); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
		got := WaitReceived(t, peer, len(sent))
		if c := Compare(sent, got); !c.Exact() {
			detail := ""
			if len(c.Mismatched) > 0 {
				detail = "\n" + MismatchDetail(sent, got, c.Mismatched[0])
			}
			t.Fatalf("peer content differs from what was exported: %s%s", c, detail)
		}
	})

	t.Run("EmptyBatch", func(t *testing.T) {
		sink, _ := newSink(t)
		if err := sink.Export(timeout(t), batching.Batch{ID: "empty", Attempt: 1}); err != nil {
			t.Fatalf("Export of an empty batch: %v", err)
		}
	})

	t.Run("CanceledContextReturnsPromptly", func(t *testing.T) {
		sink, _ := newSink(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() {
			done <- sink.Export(ctx, batching.Batch{ID: "c", Attempt: 1, Events: Encode(t, sink, Events("cancel", 5, 1))})
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("Export with a cancelled context returned nil; it must say it did not deliver")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Export with a cancelled context did not return within 5s")
		}
	})

	t.Run("CloseIsIdempotentAndFinal", func(t *testing.T) {
		sink, _ := newSink(t)
		if err := sink.Close(timeout(t)); err != nil {
			t.Fatalf("first Close: %v", err)
		}
		if err := sink.Close(timeout(t)); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		err := sink.Export(timeout(t), batching.Batch{ID: "late", Attempt: 1, Events: Encode(t, sink, Events("late", 1, 1))})
		if !batching.IsPermanent(err) {
			t.Fatalf("Export after Close = %v, want a permanent error", err)
		}
	})
}

// Encode does what the pipeline does before Export when sink is a [batching.Encoder]: it returns a copy of
// events with their payloads filled in. Other sinks get the events unchanged.
func Encode(t testing.TB, sink batching.Sink, events []batching.Event) []batching.Event {
	t.Helper()
	enc, ok := sink.(batching.Encoder)
	if !ok {
		return events
	}
	out := make([]batching.Event, len(events))
	for i, e := range events {
		p, err := enc.Encode(&e)
		if err != nil {
			t.Fatalf("Encode(%s): %v", e.ID, err)
		}
		e.Payload = p
		out[i] = e
	}
	return out
}

// WaitReceived polls peer until it holds at least n events, failing the test after 20 seconds.
func WaitReceived(t testing.TB, peer Peer, n int) []batching.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got []batching.Event
	var err error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got, err = peer.Received(ctx)
		cancel()
		if err == nil && len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer holds %d events after 20s, want %d (last error: %v)", len(got), n, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of an eventually-loop
	}
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ErrNotDecodable is returned by peers that read back something that is not an eppokit event.
var ErrNotDecodable = errors.New("adapterstest: stored record is not an eppokit event")
