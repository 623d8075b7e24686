package rudderstack

import (
	"github.com/eppokit/eppokit/adapters/internal/trackexport"
	"github.com/eppokit/eppokit/batching"
)

// NewLogger returns a ready pipeline delivering to a [Sink] built from cfg: its LogAssignment and
// LogBanditAction never block and never do I/O, and its Flush, Close and Stats account for every event.
//
// The pipeline is batching's defaults except for the name "rudderstack", 4 exports at a time (an Export
// waits a full round trip for the data plane's confirmation) and batches of [DefaultBatchSize] (256,
// where batching's default is 512); opts apply after them. Keep cfg.BatchSize at or above the pipeline's
// batch size so that each pipeline batch leaves in one request.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	return trackexport.NewLogger(NewSink, cfg, "rudderstack", DefaultBatchSize, opts)
}
