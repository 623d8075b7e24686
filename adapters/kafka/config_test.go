package kafka_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/adapters/adapterstest"
	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/batching"
)

func TestInvalidConfigNamesTheField(t *testing.T) {
	ok := []string{"127.0.0.1:9092"}
	for _, tc := range []struct {
		field string
		cfg   kafka.Config
	}{
		{"Brokers", kafka.Config{}},
		{"Brokers", kafka.Config{Brokers: []string{"no-port"}}},
		{"Topic", kafka.Config{Brokers: ok, Topic: "exposures with spaces"}},
		{"BanditTopic", kafka.Config{Brokers: ok, BanditTopic: strings.Repeat("x", 250)}},
		{"Acks", kafka.Config{Brokers: ok, Acks: 7}},
		{"MaxMessageBytes", kafka.Config{Brokers: ok, MaxMessageBytes: -1}},
		{"WriteTimeout", kafka.Config{Brokers: ok, WriteTimeout: -time.Second}},
		{"Dialer", kafka.Config{Brokers: ok, Transport: &kafkago.Transport{}, Dialer: &kafkago.Dialer{}}},
	} {
		_, err := kafka.NewSink(tc.cfg)
		if !errors.Is(err, kafka.ErrInvalidConfig) || !strings.Contains(err.Error(), "Config."+tc.field) {
			t.Errorf("%s: NewSink error = %v, want ErrInvalidConfig naming Config.%s", tc.field, err, tc.field)
		}
		if _, err := kafka.NewLogger(tc.cfg); !errors.Is(err, kafka.ErrInvalidConfig) {
			t.Errorf("%s: NewLogger error = %v, want ErrInvalidConfig", tc.field, err)
		}
	}
}

func TestErrClosedIsTheBatchingSentinel(t *testing.T) {
	s := newSink(t, kafka.Config{Brokers: []string{"127.0.0.1:1"}})
	if err := s.Close(ctxT(t, time.Second)); err != nil {
		t.Fatal(err)
	}
	err := s.Export(ctxT(t, time.Second), batching.Batch{ID: "late", Events: adapterstest.Events("late", 1, 1)})
	if !errors.Is(err, batching.ErrClosed) || !errors.Is(err, kafka.ErrClosed) || !batching.IsPermanent(err) {
		t.Fatalf("Export after Close = %v, want a permanent batching.ErrClosed", err)
	}
}

// TestAcksLevels reads the acks field of the produce requests the broker receives for each Config.Acks.
func TestAcksLevels(t *testing.T) {
	for _, tc := range []struct {
		acks kafka.Acks
		want int16
	}{{kafka.AcksAll, -1}, {kafka.AcksLeader, 1}, {kafka.AcksNone, 0}} {
		c := startCluster(t, 1)
		got := watchAcks(c)
		s := newSink(t, kafka.Config{Brokers: c.ListenAddrs(), Acks: tc.acks})
		sent := adapterstest.Encode(t, s, adapterstest.Events("acks", 10, 4))
		if err := s.Export(ctxT(t, 10*time.Second), batching.Batch{ID: "b", Attempt: 1, Events: sent}); err != nil {
			t.Fatalf("acks %d: %v", tc.want, err)
		}
		recs := newConsumer(t, c.ListenAddrs(), false).waitRecords(len(sent))
		if int16(got.Load()) != tc.want || len(recs) != len(sent) {
			t.Errorf("Acks %d: requests carried acks=%d, broker holds %d of %d", tc.acks, got.Load(), len(recs), len(sent))
		}
	}
}
