package adapterstest

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/eppokit/eppokit/batching"
)

// Close closes p and checks its verdict against p's Stats: nil when every accepted event was delivered,
// otherwise a *batching.UndeliveredError whose counts are exactly the drops Stats shows (Close reports
// every loss over the processor's life, not only those at shutdown). It returns the final Stats.
func Close(t testing.TB, ctx context.Context, p *batching.Processor) batching.Stats {
	t.Helper()
	err := p.Close(ctx)
	st := p.Stats()
	if st.DroppedTotal() == 0 {
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
		return st
	}
	var ue *batching.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != st.DroppedTotal() || !maps.Equal(ue.Dropped, st.Dropped) {
		t.Fatalf("Close = %v; want an UndeliveredError for exactly the drops %v", err, st.Dropped)
	}
	return st
}
