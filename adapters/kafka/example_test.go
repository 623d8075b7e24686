package kafka_test

import (
	"context"
	"fmt"
	"time"

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
