package kafka_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

var topics = []string{kafka.DefaultAssignmentTopic, kafka.DefaultBanditTopic}

// partitionsOverride, when not zero, replaces the partition count of every topic the tests create; only
// TestPeerTestsOn12Partitions sets it, while its subtests run (the tests of this package are not parallel).
var partitionsOverride int32

// partitionsFor returns the partition count a test asked for, or the override.
func partitionsFor(n int32) int32 {
	if partitionsOverride != 0 {
		return partitionsOverride
	}
	return n
}

// startCluster runs an in-process kfake broker with both default topics; it is closed at test end.
func startCluster(t testing.TB, partitions int32, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitionsFor(partitions), topics...)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// received is one record as a consumer saw it.
type received struct {
	event     batching.Event
	key       string
	partition int32
	offset    int64
}

// consumer is a franz-go client reading both topics from the start, independent of kafka-go.
type consumer struct {
	t        testing.TB
	cl       *kgo.Client
	warehous bool
	mu       sync.Mutex
	records  []received
	errs     []error
}

func newConsumer(t testing.TB, addrs []string, warehouse bool) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(50*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	t.Cleanup(cl.Close)
	return &consumer{t: t, cl: cl, warehous: warehouse}
}

// Received polls once for new records and returns every record seen so far, decoded.
func (c *consumer) Received(ctx context.Context) ([]batching.Event, error) {
	recs, err := c.poll(ctx)
	out := make([]batching.Event, len(recs))
	for i, r := range recs {
		out[i] = r.event
	}
	return out, err
}

func (c *consumer) poll(ctx context.Context) ([]received, error) {
	pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	fetches := c.cl.PollFetches(pctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fe := range fetches.Errors() {
		if fe.Err != context.DeadlineExceeded && fe.Err != context.Canceled {
			c.errs = append(c.errs, fe.Err)
		}
	}
	var decodeErr error
	fetches.EachRecord(func(r *kgo.Record) {
		ev, err := decodeRecord(r, c.warehous)
		if err != nil {
			decodeErr = err
			return
		}
		c.records = append(c.records, received{event: ev, key: string(r.Key), partition: r.Partition, offset: r.Offset})
	})
	return append([]received(nil), c.records...), decodeErr
}

// waitRecords polls until n records arrived, failing after 20 s.
func (c *consumer) waitRecords(n int) []received {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs, err := c.poll(context.Background())
		if err != nil {
			c.t.Fatalf("decoding a record: %v", err)
		}
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("consumer saw %d records after 20s, want %d (fetch errors: %v)", len(recs), n, c.errs)
		}
	}
}

// warehouseAssignment and warehouseBandit decode the snake_case naming.
type warehouseAssignment struct {
	FeatureFlag       string            `json:"feature_flag"`
	Allocation        string            `json:"allocation"`
	Experiment        string            `json:"experiment"`
	Variation         string            `json:"variation"`
	Subject           string            `json:"subject"`
	SubjectAttributes core.Attributes   `json:"subject_attributes"`
	Timestamp         time.Time         `json:"timestamp"`
	MetaData          core.Metadata     `json:"metadata"`
	ExtraLogging      map[string]string `json:"extra_logging"`
}

type warehouseBandit struct {
	FlagKey                      string             `json:"flag_key"`
	BanditKey                    string             `json:"bandit_key"`
	Subject                      string             `json:"subject"`
	Action                       string             `json:"action"`
	ActionProbability            float64            `json:"action_probability"`
	OptimalityGap                float64            `json:"optimality_gap"`
	ModelVersion                 string             `json:"model_version"`
	Timestamp                    time.Time          `json:"timestamp"`
	SubjectNumericAttributes     map[string]float64 `json:"subject_numeric_attributes"`
	SubjectCategoricalAttributes map[string]string  `json:"subject_categorical_attributes"`
	ActionNumericAttributes      map[string]float64 `json:"action_numeric_attributes"`
	ActionCategoricalAttributes  map[string]string  `json:"action_categorical_attributes"`
	MetaData                     core.Metadata      `json:"metadata"`
}

func decodeRecord(r *kgo.Record, warehouse bool) (batching.Event, error) {
	var e batching.Event
	for _, h := range r.Headers {
		switch h.Key {
		case kafka.HeaderEventID:
			e.ID = string(h.Value)
		case kafka.HeaderEventKind:
			switch string(h.Value) {
			case "assignment":
				e.Kind = batching.KindAssignment
			case "bandit":
				e.Kind = batching.KindBandit
			}
		}
	}
	if e.ID == "" || e.Kind == 0 {
		return e, fmt.Errorf("record at %s/%d@%d lacks id or kind headers: %v", r.Topic, r.Partition, r.Offset, r.Headers)
	}
	var err error
	switch {
	case e.Kind == batching.KindAssignment && warehouse:
		var w warehouseAssignment
		err = json.Unmarshal(r.Value, &w)
		a := core.AssignmentEvent(w)
		e.Assignment = &a
	case e.Kind == batching.KindAssignment:
		e.Assignment = new(core.AssignmentEvent)
		err = json.Unmarshal(r.Value, e.Assignment)
	case warehouse:
		var w warehouseBandit
		err = json.Unmarshal(r.Value, &w)
		b := core.BanditEvent(w)
		e.Bandit = &b
	default:
		e.Bandit = new(core.BanditEvent)
		err = json.Unmarshal(r.Value, e.Bandit)
	}
	if err != nil {
		return e, fmt.Errorf("record %s: %w: %s", e.ID, err, r.Value)
	}
	return e, nil
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newConsumerFor reads one named topic.
func newConsumerFor(t testing.TB, addrs []string, topic string) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(50*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	t.Cleanup(cl.Close)
	return &consumer{t: t, cl: cl}
}
