package csv_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eppokit/eppokit/adapters/csv"
	"github.com/eppokit/eppokit/core"
)

func ExampleNewLogger() {
	dir, _ := os.MkdirTemp("", "exposures")
	defer os.RemoveAll(dir)

	logger, err := csv.NewLogger(csv.Config{Dir: dir, WarehouseNaming: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger.LogAssignment(core.AssignmentEvent{
		FeatureFlag: "new-checkout", Allocation: "rollout", Experiment: "new-checkout-rollout",
		Variation: "on", Subject: "user-1", Timestamp: time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := logger.Close(ctx); err != nil { // flushes, fsyncs and closes the files
		fmt.Println(err)
		return
	}

	raw, _ := os.ReadFile(filepath.Join(dir, csv.DefaultAssignmentFile))
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	fmt.Println(lines[0])
	fmt.Println(strings.Join(strings.Split(lines[1], ",")[:5], ","))
	// Output:
	// feature_flag,allocation,experiment,variation,subject,subject_attributes,timestamp,metadata,extra_logging,event_id
	// new-checkout,rollout,new-checkout-rollout,on,user-1
}
