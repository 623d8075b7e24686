package openfeature

import (
	"context"
	"testing"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

// The three benchmarks evaluate the same flag and subject: the client directly, the provider directly,
// and the whole OpenFeature client (hooks machinery, context merging) in front of the provider.

var benchAttrs = map[string]any{"email": "alice@mycompany.com", "country": "US"}

func benchClient(b *testing.B) *core.Client {
	cfg, err := core.NewConfiguration(readUFC(b, "flags-v1.json"), nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := core.NewClient(core.Config{InitialConfiguration: cfg})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkCoreClient(b *testing.B) {
	c := benchClient(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.GetIntegerAssignmentDetails("integer-flag", "alice", benchAttrs, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProvider(b *testing.B) {
	p := NewProvider(benchClient(b))
	flat := of.FlattenedContext{of.TargetingKey: "alice", "email": "alice@mycompany.com", "country": "US"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := p.IntEvaluation(ctx, "integer-flag", 0, flat); r.Value != 3 {
			b.Fatal(r)
		}
	}
}

func BenchmarkOpenFeatureClient(b *testing.B) {
	api := isolatedAPI(b)
	ctx := context.Background()
	if err := api.SetProviderAndWait(ctx, NewProvider(benchClient(b))); err != nil {
		b.Fatal(err)
	}
	ofc := api.NewClient()
	ec := of.NewEvaluationContext("alice", benchAttrs)
	b.ReportAllocs()
	for b.Loop() {
		if v, err := ofc.IntValue(ctx, "integer-flag", 0, ec); v != 3 || err != nil {
			b.Fatal(v, err)
		}
	}
}
