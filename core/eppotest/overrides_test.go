package eppotest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/core/eppotest"
	"github.com/eppokit/eppokit/dedupe"
)

// pipelineCounts is the part of batching.Stats that an exposure would move.
type pipelineCounts struct {
	accepted, deduplicated, delivered, dropped, pending, batches uint64
}

func countsOf(p *batching.Processor) pipelineCounts {
	s := p.Stats()
	return pipelineCounts{s.Accepted, s.Deduplicated, s.Delivered, s.DroppedTotal(), s.Pending, s.Batches}
}

func TestOverridesLeavePipelineUntouched(t *testing.T) {
	p := batching.New(nil, batching.WithName("overrides"), batching.WithDedupe(dedupe.Options{Capacity: 1000}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	flush := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	td := eppotest.New()
	td.Update(td.Flag("checkout").String().Variations("control", "treatment").ForAll("control"))
	client := eppotest.NewClient(t, td, eppotest.WithConfig(core.Config{AssignmentLogger: p, BanditLogger: p}))

	// The pipeline is wired: a real exposure reaches it.
	if v, err := client.GetStringAssignment("checkout", "user-1", nil, "d"); err != nil || v != "control" {
		t.Fatalf("checkout = %q, %v", v, err)
	}
	flush()
	before := countsOf(p)
	if before.accepted != 1 || before.delivered != 1 {
		t.Fatalf("pipeline after one exposure: %+v, want 1 accepted and delivered", before)
	}

	qa := client.WithOverrides(map[string]string{"checkout": "treatment"})
	for i := range 100 {
		// user-1 again too: a consulted dedupe gate would count a duplicate.
		user := fmt.Sprintf("user-%d", i%10+1)
		v, d, err := qa.GetStringAssignmentDetails("checkout", user, nil, "d")
		if err != nil || v != "treatment" || d.MatchedAllocation.Key != "override-treatment" ||
			d.FlagEvaluationDescription != "Flag override applied" {
			t.Fatalf("%s overridden = %q, %v, %+v", user, v, err, d)
		}
	}
	flush()
	if after := countsOf(p); after != before {
		t.Errorf("overridden assignments moved the pipeline: before %+v, after %+v", before, after)
	}
	// The original client is unaffected.
	if v, _ := client.GetStringAssignment("checkout", "user-2", nil, "d"); v != "control" {
		t.Errorf("original client = %q after WithOverrides, want control", v)
	}
	// The derived client follows updates.
	td.Update(td.Flag("checkout").ForAll("control").Variations("purple"))
	if v, _ := client.WithOverrides(map[string]string{"checkout": "purple"}).GetStringAssignment("checkout", "u", nil, "d"); v != "purple" {
		t.Errorf("override to a variation added by a later update = %q, want purple", v)
	}
}
