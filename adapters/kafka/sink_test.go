package kafka_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

func newSink(t testing.TB, cfg kafka.Config) *kafka.Sink {
	t.Helper()
	s, err := kafka.NewSink(cfg)
	if err != nil {
		t.Fatalf("NewSink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name       string
		partitions int32
		warehouse  bool
	}{
		{"camelCase/1-partition", 1, false},
		{"camelCase/3-partitions", 3, false},
		{"warehouse/3-partitions", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adapterstest.RunSinkTests(t, func(t *testing.T) (batching.Sink, adapterstest.Peer) {
				c := startCluster(t, tc.partitions)
				cfg := kafka.Config{Brokers: c.ListenAddrs(), WarehouseNaming: tc.warehouse}
				return newSink(t, cfg), newConsumer(t, c.ListenAddrs(), tc.warehouse)
			})
		})
	}
}

func TestNewSinkNeedsBrokers(t *testing.T) {
	if _, err := kafka.NewSink(kafka.Config{}); !errors.Is(err, kafka.ErrInvalidConfig) || !strings.Contains(err.Error(), "Brokers") {
		t.Fatalf("err = %v, want ErrInvalidConfig naming Brokers", err)
	}
}

// watchAcks records the acks field of the last produce request c received (99 before the first).
func watchAcks(c *kfake.Cluster) *atomic.Int32 {
	var acks atomic.Int32
	acks.Store(99)
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		acks.Store(int32(req.(*kmsg.ProduceRequest).Acks))
		return nil, nil, false
	})
	return &acks
}

// TestMessagesAreKeyedBySubjectAndAckedByAll reads the produce requests the broker received and the
// records a consumer gets back.
func TestMessagesAreKeyedBySubjectAndAckedByAll(t *testing.T) {
	c := startCluster(t, 3)
	acks := watchAcks(c)
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.Events("shape", 300, 3))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
		t.Fatal(err)
	}
	if got := acks.Load(); got != -1 {
		t.Errorf("produce requests carried acks=%d, want -1 (all in-sync replicas)", got)
	}

	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent))
	bySubjectPartition := map[string]int32{}
	lastIndex := map[string]int{}
	for _, r := range recs {
		var subject string
		if r.event.Kind == batching.KindAssignment {
			subject = r.event.Assignment.Subject
		} else {
			subject = r.event.Bandit.Subject
		}
		if r.key != subject {
			t.Fatalf("record %s has key %q, want its subject %q", r.event.ID, r.key, subject)
		}
		topicKey := subject + "|" + r.event.Kind.String()
		if p, ok := bySubjectPartition[topicKey]; ok && p != r.partition {
			t.Fatalf("subject %q landed on partitions %d and %d", subject, p, r.partition)
		}
		bySubjectPartition[topicKey] = r.partition
		idx := slices.IndexFunc(sent, func(e batching.Event) bool { return e.ID == r.event.ID })
		if prev, ok := lastIndex[topicKey]; ok && idx < prev {
			t.Fatalf("subject %q: event %d consumed after event %d, out of order", subject, idx, prev)
		}
		lastIndex[topicKey] = idx
	}
	partitions := map[int32]bool{}
	for _, p := range bySubjectPartition {
		partitions[p] = true
	}
	if len(partitions) < 2 {
		t.Errorf("300 events with many subjects used %d partition(s)", len(partitions))
	}
}

// TestPeerTestsOn12Partitions runs the tests against the broker again with every topic at 12 partitions,
// so that each batch becomes many produce requests at once.
func TestPeerTestsOn12Partitions(t *testing.T) {
	partitionsOverride = 12
	defer func() { partitionsOverride = 0 }()
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"Conformance", TestConformance},
		{"MessagesAreKeyedBySubjectAndAckedByAll", TestMessagesAreKeyedBySubjectAndAckedByAll},
		{"TopicsAreConfigurable", TestTopicsAreConfigurable},
		{"BrokerRefusesTooLargeMessage", TestBrokerRefusesTooLargeMessage},
		{"RetriableBrokerErrorIsTransient", TestRetriableBrokerErrorIsTransient},
		{"UnencodableEventFailsAlone", TestUnencodableEventFailsAlone},
		{"HungBrokerBoundsExportAndClose", TestHungBrokerBoundsExportAndClose},
		{"DeadBrokerBoundsClose", TestDeadBrokerBoundsClose},
		{"PipelineAccounting", TestPipelineAccounting},
		{"BrokerRestartMidStream", TestBrokerRestartMidStream},
		{"TLSAndSASLThroughTransport", TestTLSAndSASLThroughTransport},
	} {
		t.Run(tc.name, tc.run)
	}
}

func TestTopicsAreConfigurable(t *testing.T) {
	c := startCluster(t, 1, kfake.SeedTopics(partitionsFor(1), "all-exposures"))
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs(), Topic: "all-exposures", BanditTopic: "all-exposures"})
	sent := adapterstest.Encode(t, s, adapterstest.Events("topic", 50, 8))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
		t.Fatal(err)
	}
	cl := newConsumerFor(t, c.ListenAddrs(), "all-exposures")
	recs := cl.waitRecords(len(sent))
	if cmp := adapterstest.Compare(sent, events(recs)); !cmp.Exact() {
		t.Fatalf("single topic: %s", cmp)
	}
}

func events(recs []received) []batching.Event {
	out := make([]batching.Event, len(recs))
	for i, r := range recs {
		out[i] = r.event
	}
	return out
}

// TestBrokerRefusesTooLargeMessage sets the broker's message.max.bytes below what the sink allows: the
// broker's refusal is permanent for the events of that produce batch, and nothing of it lands.
func TestBrokerRefusesTooLargeMessage(t *testing.T) {
	c := startCluster(t, 1, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "4096"}))
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	big := adapterstest.SizedEvents("big", 1, 8000)
	err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: adapterstest.Encode(t, s, big)})
	if !batching.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
	if !strings.Contains(err.Error(), "Message Size Too Large") && !strings.Contains(strings.ToLower(err.Error()), "too large") {
		t.Errorf("error should say the message is too large: %v", err)
	}
	small := adapterstest.Encode(t, s, adapterstest.SizedEvents("small", 3, 400))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "c", Attempt: 1, Events: small}); err != nil {
		t.Fatalf("small events after a refusal: %v", err)
	}
	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(3)
	if cmp := adapterstest.Compare(small, events(recs)); !cmp.Exact() {
		t.Fatalf("after refusal: %s", cmp)
	}
}

// TestRetriableBrokerErrorIsTransient makes the broker answer one produce request with
// NOT_LEADER_FOR_PARTITION, which kafka-go calls temporary: the sink reports a transient error and the
// retried batch lands.
func TestRetriableBrokerErrorIsTransient(t *testing.T) {
	c := startCluster(t, 1)
	fault := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafka.DefaultAssignmentTopic,
		Err: kerr.NotLeaderForPartition, Count: 1})
	defer fault.Remove()
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.Events("leader", 20, 5))
	err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	if err == nil || batching.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	// The fault hit one produce request of the assignment topic; bandit events went to their own topic
	// and landed, so only assignments are reported failed (on one partition, all of them: they share the
	// request), and only they are sent again.
	onePartition := partitionsFor(1) == 1
	var retry []batching.Event
	var pe *batching.PartialError
	if errors.As(err, &pe) {
		for i, e := range sent {
			ferr, failed := pe.Failed[i]
			if failed && e.Kind != batching.KindAssignment || onePartition && failed != (e.Kind == batching.KindAssignment) {
				t.Fatalf("event %d (%v): failed=%v, want only assignments failed", i, e.Kind, failed)
			}
			if failed {
				if batching.IsPermanent(ferr) {
					t.Fatalf("event %d: permanent %v, want transient", i, ferr)
				}
				retry = append(retry, e)
			}
		}
	} else {
		retry = sent
	}
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 2, Events: retry}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent))
	if cmp := adapterstest.Compare(sent, events(recs)); !cmp.Exact() {
		t.Fatalf("after retry: %s", cmp)
	}
}

func TestUnencodableEventFailsAlone(t *testing.T) {
	c := startCluster(t, 1)
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Events("enc", 10, 2) // no payloads: Export encodes them itself
	sent = append(sent, batching.Event{ID: "empty", Kind: batching.KindBandit})
	err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	var pe *batching.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || !batching.IsPermanent(pe.Failed[len(sent)-1]) {
		t.Fatalf("err = %v, want a PartialError failing only the last event, permanently", err)
	}
	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent) - 1)
	if cmp := adapterstest.Compare(sent[:len(sent)-1], events(recs)); !cmp.Exact() {
		t.Fatalf("%s", cmp)
	}
}

func TestMaxEventBytes(t *testing.T) {
	s, err := kafka.NewSink(kafka.Config{Brokers: []string{"127.0.0.1:1"}, MaxMessageBytes: 2048})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxEventBytes() != 2048 {
		t.Fatalf("MaxEventBytes = %d, want 2048", s.MaxEventBytes())
	}
	d, _ := kafka.NewSink(kafka.Config{Brokers: []string{"127.0.0.1:1"}})
	if d.MaxEventBytes() != kafka.DefaultMaxMessageBytes {
		t.Fatalf("default MaxEventBytes = %d, want %d", d.MaxEventBytes(), kafka.DefaultMaxMessageBytes)
	}
}

// TestHungBrokerBoundsExportAndClose holds every produce request inside the broker (it accepts and never
// answers): Export returns when its context ends, as a transient error, and Close returns within its
// deadline although kafka-go's writer still waits on the request.
func TestHungBrokerBoundsExportAndClose(t *testing.T) {
	c := startCluster(t, 1)
	release := make(chan struct{})
	var released atomic.Bool
	defer func() {
		if released.CompareAndSwap(false, true) {
			close(release)
		}
	}()
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-release })
		return nil, nil, false
	})
	s, err := kafka.NewSink(kafka.Config{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	sent := adapterstest.Encode(t, s, adapterstest.Events("hung", 20, 5))

	start := time.Now()
	err = s.Export(ctxT(t, 300*time.Millisecond), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	took := time.Since(start)
	if err == nil || batching.IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Export against a hung broker: err = %v, want a transient deadline error", err)
	}
	if took > 2*time.Second {
		t.Fatalf("Export took %v with a 300ms context", took)
	}

	start = time.Now()
	err = s.Close(ctxT(t, 300*time.Millisecond))
	took = time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a write stuck in kafka-go: err = %v, want DeadlineExceeded", err)
	}
	if took > 350*time.Millisecond {
		t.Fatalf("Close took %v with a 300ms deadline", took)
	}
	if err := s.Close(ctxT(t, time.Second)); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Export(ctxT(t, time.Second), batching.Batch{ID: "late", Events: sent[:1]}); !errors.Is(err, kafka.ErrClosed) {
		t.Fatalf("Export after Close: %v, want ErrClosed", err)
	}
	released.Store(true)
	close(release)
}

// TestDeadBrokerBoundsClose closes the cluster first: nothing listens any more.
func TestDeadBrokerBoundsClose(t *testing.T) {
	c := startCluster(t, 1)
	s, err := kafka.NewSink(kafka.Config{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	sent := adapterstest.Encode(t, s, adapterstest.Events("dead", 5, 5))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "a", Attempt: 1, Events: sent}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	err = s.Export(ctxT(t, 500*time.Millisecond), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	if err == nil || batching.IsPermanent(err) {
		t.Fatalf("Export to a dead broker: err = %v, want transient", err)
	}
	start := time.Now()
	_ = s.Close(ctxT(t, 500*time.Millisecond))
	if took := time.Since(start); took > 600*time.Millisecond {
		t.Fatalf("Close with the broker dead took %v, deadline 500ms", took)
	}
}

// TestThrottledFailureAsksForTheWait answers a produce request with a retriable error and a 1.5 s
// throttle time, as a broker over its quota does: the failure carries that wait for the pipeline's backoff.
func TestThrottledFailureAsksForTheWait(t *testing.T) {
	c := startCluster(t, 1)
	var answered atomic.Bool
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		if answered.Swap(true) {
			return nil, nil, false
		}
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		resp.ThrottleMillis = 1500
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.NotEnoughReplicas.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.SizedEvents("throttled", 5, 300))
	err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	var ra *batching.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 1500*time.Millisecond || batching.IsPermanent(err) {
		t.Fatalf("err = %v, want a transient error asking to retry after 1.5s", err)
	}
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 2, Events: sent}); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

// TestUnknownKindFailsAlone hands Export an event of a kind the sink does not know, with a payload: it
// fails permanently, alone, instead of taking the batch down.
func TestUnknownKindFailsAlone(t *testing.T) {
	c := startCluster(t, 1)
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.Events("kind", 5, 2))
	sent = append(sent, batching.Event{ID: "odd", Kind: batching.Kind(9), Payload: []byte(`{}`)})
	err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent})
	var pe *batching.PartialError
	if !errors.As(err, &pe) || len(pe.Failed) != 1 || !batching.IsPermanent(pe.Failed[len(sent)-1]) {
		t.Fatalf("err = %v, want a PartialError failing only the last event, permanently", err)
	}
}

// TestOneRequestPerLeaderBroker exports a batch spread over 12 partitions of two topics on a one-broker
// cluster: it travels as one produce request carrying every partition's record set, not one per
// partition, and every event lands.
func TestOneRequestPerLeaderBroker(t *testing.T) {
	c := startCluster(t, 12)
	var requests, partitions atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		requests.Add(1)
		for _, rt := range req.(*kmsg.ProduceRequest).Topics {
			partitions.Add(int32(len(rt.Partitions)))
		}
		return nil, nil, false
	})
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.Events("leader", 400, 11))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 1 || partitions.Load() < 13 {
		t.Fatalf("%d produce requests carrying %d partitions, want 1 request carrying the partitions of both topics",
			requests.Load(), partitions.Load())
	}
	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent))
	if cmp := adapterstest.Compare(sent, events(recs)); !cmp.Exact() {
		t.Fatalf("%s", cmp)
	}
}

// TestPartitionsLedByThreeBrokers spreads 12 partitions over three brokers: each batch goes out as one
// request per leader (a request mixing leaders would be refused by the transport), and every event lands.
func TestPartitionsLedByThreeBrokers(t *testing.T) {
	c := startCluster(t, 12, kfake.NumBrokers(3))
	var requests atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		requests.Add(1)
		return nil, nil, false
	})
	leaders := map[int32]bool{}
	for _, topic := range topics {
		for _, p := range c.PartitionInfos(topic) {
			leaders[c.LeaderFor(topic, p.Partition)] = true
		}
	}
	s := newSink(t, kafka.Config{Brokers: c.ListenAddrs()})
	sent := adapterstest.Encode(t, s, adapterstest.Events("brokers", 400, 12))
	if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
		t.Fatal(err)
	}
	if got := int(requests.Load()); got < 2 || got > len(leaders) {
		t.Errorf("%d produce requests for partitions led by %d brokers, want one per leader", got, len(leaders))
	}
	recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent))
	if cmp := adapterstest.Compare(sent, events(recs)); !cmp.Exact() {
		t.Fatalf("%s", cmp)
	}
}
