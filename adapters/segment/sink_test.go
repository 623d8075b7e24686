package segment

import (
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/adapterstest/analyticspeer"
	"github.com/eppokit/eppokit/batching"
)

const testKey = "seg-write-key"

var suite = analyticspeer.Suite{
	WriteKey:        testKey,
	AssignmentEvent: DefaultAssignmentEvent,
	BanditEvent:     DefaultBanditEvent,
	LibraryAttempts: library(Config{}).Attempts,
	New: func(t *testing.T, peer *analyticspeer.Server, o analyticspeer.Options) analyticspeer.Sink {
		sink, err := NewSink(Config{WriteKey: o.WriteKey, Endpoint: peer.URL, RequestTimeout: o.RequestTimeout,
			Interval: o.Interval, AssignmentEvent: o.AssignmentEvent, BanditEvent: o.BanditEvent})
		if err != nil {
			t.Fatal(err)
		}
		return sink
	},
}

func TestDelivery(t *testing.T) { analyticspeer.RunDeliveryTests(t, suite) }

func TestFaults(t *testing.T) { analyticspeer.RunFaultTests(t, suite) }

func TestInvalidConfig(t *testing.T) {
	analyticspeer.RunConfigTests(t, func(c analyticspeer.Config) (analyticspeer.Sink, error) {
		return NewSink(Config{WriteKey: c.WriteKey, Endpoint: c.URL, BatchSize: c.BatchSize,
			Interval: c.Interval, RequestTimeout: c.RequestTimeout})
	}, ErrInvalidConfig, false)
}

func TestSegmentBodiesAreUncompressed(t *testing.T) {
	peer := analyticspeer.New(t, testKey)
	sink := suite.New(t, peer, analyticspeer.Options{WriteKey: testKey, RequestTimeout: time.Second})
	defer sink.Close(t.Context())
	if err := sink.Export(t.Context(), batching.Batch{ID: "b", Attempt: 1, Events: adapterstest.Events("plain", 5, 1)}); err != nil {
		t.Fatal(err)
	}
	if peer.Requests() != 1 || peer.Gzipped() != 0 {
		t.Fatalf("requests=%d gzipped=%d, want one plain JSON request (analytics-go/v3 has no gzip)",
			peer.Requests(), peer.Gzipped())
	}
}

func TestPipeline(t *testing.T) {
	analyticspeer.RunPipelineTests(t, suite, func(t *testing.T, peer *analyticspeer.Server, o analyticspeer.Options,
		opts ...batching.Option) *batching.Processor {
		p, err := NewLogger(Config{WriteKey: o.WriteKey, Endpoint: peer.URL, RequestTimeout: o.RequestTimeout}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}
