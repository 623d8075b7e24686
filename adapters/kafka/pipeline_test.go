package kafka_test

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

// quietLogs keeps the pipeline's warnings out of the test output; the tests check Stats instead.
func quietLogs() batching.Option { return batching.WithLogger(slog.New(slog.DiscardHandler)) }

// drain polls until the consumer has n records and then until a poll brings nothing new, so that
// redelivered duplicates are seen too.
func (c *consumer) drain(n int) []received {
	recs := c.waitRecords(n)
	for {
		more, err := c.poll(context.Background())
		if err != nil {
			c.t.Fatalf("decoding a record: %v", err)
		}
		if len(more) == len(recs) {
			return recs
		}
		recs = more
	}
}

// TestPipelineAccounting sends events through the pipeline, among them two larger than the sink accepts
// and one the encoder refuses: the broker holds exactly the delivered events, and the three are counted
// as oversize and encode drops.
func TestPipelineAccounting(t *testing.T) {
	c := startCluster(t, 3)
	drops := &adapterstest.DropRecorder{}
	p, err := kafka.NewLogger(kafka.Config{Brokers: c.ListenAddrs(), MaxMessageBytes: 3000},
		batching.WithBatchSize(100), batching.WithLinger(5*time.Millisecond), batching.WithDropHook(drops.Hook), quietLogs())
	if err != nil {
		t.Fatal(err)
	}
	logged := adapterstest.Events("acct", 2000, 31)
	logged = append(logged, adapterstest.SizedEvents("big", 2, 6000)...)
	for i := range logged {
		if logged[i].Kind == batching.KindBandit {
			b := *logged[i].Bandit
			b.ActionProbability = math.NaN()
			logged[i].Bandit = &b
			break
		}
	}
	adapterstest.Log(p, logged)
	err = p.Close(ctxT(t, 20*time.Second))
	st := p.Stats()
	adapterstest.CheckCloseError(t, err, st)
	if st.Dropped[batching.ReasonOversize] != 2 || st.Dropped[batching.ReasonEncode] != 1 || st.DroppedTotal() != 3 {
		t.Fatalf("dropped = %v, want 2 oversize and 1 encode", st.Dropped)
	}
	recs := newConsumer(t, c.ListenAddrs(), false).drain(int(st.Delivered))
	if dup := adapterstest.CheckAccounting(t, st, logged, events(recs), drops); dup != 0 {
		t.Errorf("%d duplicates without any failure", dup)
	}
}

// TestBrokerRestartMidStream stops the broker while events keep coming, then starts it again on the same
// port with the same data directory (kfake persists its log there). kafka-go's connections break, exports
// fail and are retried by the pipeline; afterwards every accepted event is on the broker or counted as
// dropped, and what the broker holds matches Stats.Delivered event for event.
func TestBrokerRestartMidStream(t *testing.T) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitionsFor(1), topics...), kfake.Ports(freePort(t)),
		kfake.DataDir(t.TempDir())}
	first, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	addrs := first.ListenAddrs()
	drops := &adapterstest.DropRecorder{}
	p, err := kafka.NewLogger(kafka.Config{Brokers: addrs, WriteTimeout: 2 * time.Second},
		batching.WithBatchSize(50), batching.WithLinger(2*time.Millisecond), batching.WithExportTimeout(2*time.Second),
		batching.WithRetryInterval(20*time.Millisecond, 200*time.Millisecond), batching.WithMaxRetries(1000),
		batching.WithMaxElapsedTime(time.Minute), batching.WithDropHook(drops.Hook), quietLogs())
	if err != nil {
		t.Fatal(err)
	}
	logged := adapterstest.Events("restart", 3000, 17)

	adapterstest.Log(p, logged[:1000])
	if err := p.Flush(ctxT(t, 20*time.Second)); err != nil {
		t.Fatalf("Flush before the outage: %v", err)
	}
	first.Close()
	adapterstest.Log(p, logged[1000:2000])
	// Wait until exports are failing against the stopped broker.
	deadline := time.Now().Add(20 * time.Second)
	for p.Stats().Retried == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no export failed within 20s of stopping the broker: %+v", p.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	duringOutage := p.Stats()

	second, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("restarting the broker on %v: %v", addrs, err)
	}
	t.Cleanup(second.Close)
	adapterstest.Log(p, logged[2000:])
	if err := p.Close(ctxT(t, 45*time.Second)); err != nil {
		t.Fatalf("Close after the restart: %v", err)
	}
	st := p.Stats()
	if st.DroppedTotal() != 0 {
		t.Errorf("the outage fit the retry budget, yet %v were dropped", st.Dropped)
	}
	recs := newConsumer(t, second.ListenAddrs(), false).drain(int(st.Delivered))
	dup := adapterstest.CheckAccounting(t, st, logged, events(recs), drops)
	t.Logf("outage: %d events retried, last error %q; after restart: delivered %d, duplicates on the broker %d",
		duringOutage.Retried, duringOutage.LastError, st.Delivered, dup)
}
