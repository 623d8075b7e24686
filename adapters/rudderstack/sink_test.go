package rudderstack

import (
	"testing"
	"time"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/adapterstest/analyticspeer"
	"github.com/eppokit/eppokit/batching"
)

const testKey = "rs-write-key"

var suite = analyticspeer.Suite{
	WriteKey:        testKey,
	AssignmentEvent: DefaultAssignmentEvent,
	BanditEvent:     DefaultBanditEvent,
	LibraryAttempts: library(Config{}).Attempts,
	New: func(t *testing.T, peer *analyticspeer.Server, o analyticspeer.Options) analyticspeer.Sink {
		sink, err := NewSink(Config{WriteKey: o.WriteKey, DataPlaneURL: peer.URL, RequestTimeout: o.RequestTimeout,
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
		return NewSink(Config{WriteKey: c.WriteKey, DataPlaneURL: c.URL, BatchSize: c.BatchSize,
			Interval: c.Interval, RequestTimeout: c.RequestTimeout})
	}, ErrInvalidConfig, true)
}

func TestGzip(t *testing.T) {
	for _, disable := range []bool{false, true} {
		peer := analyticspeer.New(t, testKey)
		sink, err := NewSink(Config{WriteKey: testKey, DataPlaneURL: peer.URL, DisableGzip: disable,
			RequestTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sent := adapterstest.Events("gz", 50, 3)
		if err := sink.Export(t.Context(), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
			t.Fatal(err)
		}
		sink.Close(t.Context())
		wantGzipped := peer.Requests()
		if disable {
			wantGzipped = 0
		}
		if peer.Requests() == 0 || peer.Gzipped() != wantGzipped {
			t.Fatalf("DisableGzip=%v: requests=%d gzipped=%d", disable, peer.Requests(), peer.Gzipped())
		}
		got, err := peer.Events(DefaultAssignmentEvent, DefaultBanditEvent)
		if err != nil {
			t.Fatal(err)
		}
		if c := adapterstest.Compare(sent, got); !c.Exact() {
			t.Fatalf("DisableGzip=%v: %s", disable, c)
		}
	}
}

func TestPipeline(t *testing.T) {
	analyticspeer.RunPipelineTests(t, suite, func(t *testing.T, peer *analyticspeer.Server, o analyticspeer.Options,
		opts ...batching.Option) *batching.Processor {
		p, err := NewLogger(Config{WriteKey: o.WriteKey, DataPlaneURL: peer.URL, RequestTimeout: o.RequestTimeout}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
}
