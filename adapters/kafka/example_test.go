package kafka_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eppokit/eppokit/adapters/kafka"
	"github.com/eppokit/eppokit/core"
)

func ExampleNewLogger() {
	// An in-process broker stands in for a real cluster here.
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(1, kafka.DefaultAssignmentTopic, kafka.DefaultBanditTopic))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	logger, err := kafka.NewLogger(kafka.Config{Brokers: cluster.ListenAddrs(), WarehouseNaming: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.LogAssignment(core.AssignmentEvent{
		FeatureFlag: "new-checkout", Allocation: "rollout", Experiment: "new-checkout-rollout",
		Variation: "on", Subject: "user-1", Timestamp: time.Now(),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := logger.Close(ctx); err != nil {
		fmt.Println(err)
		return
	}
	st := logger.Stats()
	fmt.Println("delivered:", st.Delivered, "dropped:", st.DroppedTotal())
	// Output: delivered: 1 dropped: 0
}

// Brokers that require TLS and SASL/PLAIN: bring a kafka-go Transport that carries both. (A Dialer you
// already use works too, through Config.Dialer.)
func ExampleNewLogger_tlsAndSASL() {
	transport := &kafkago.Transport{
		TLS:  &tls.Config{MinVersion: tls.VersionTLS12}, // the system's roots; set RootCAs for a private CA
		SASL: plain.Mechanism{Username: os.Getenv("KAFKA_USERNAME"), Password: os.Getenv("KAFKA_PASSWORD")},
	}
	logger, err := kafka.NewLogger(kafka.Config{
		Brokers:   []string{"broker-1.example.com:9093", "broker-2.example.com:9093"},
		Transport: transport,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := logger.Close(ctx); err != nil {
			fmt.Println(err)
		}
	}()
	// Give logger to core.Config as AssignmentLogger and BanditLogger.
}
