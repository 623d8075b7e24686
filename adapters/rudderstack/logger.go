package rudderstack

import "github.com/eppokit/eppokit/batching"

// DefaultExportConcurrency is how many batches [NewLogger]'s pipeline exports at a time. An Export waits
// for the service's confirmation, a full round trip; with several in flight the library's loop keeps
// encoding while earlier batches travel, as it does when used directly (measured on 2 cores: one at a
// time reaches about 0.6x the raw library's throughput, four about 1.05x).
const DefaultExportConcurrency = 4

// NewLogger returns a ready pipeline delivering to a [Sink] built from cfg: its LogAssignment and
// LogBanditAction never block and never do I/O, and its Flush, Close and Stats account for every event.
// opts configure the pipeline; they apply after this adapter's defaults: the name "rudderstack",
// [DefaultExportConcurrency] exports at a time and batches of [DefaultBatchSize]. Keep cfg.BatchSize at
// or above the pipeline's batch size so that each pipeline batch leaves in one request.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(cfg)
	if err != nil {
		return nil, err
	}
	defaults := []batching.Option{
		batching.WithName("rudderstack"),
		batching.WithExportConcurrency(DefaultExportConcurrency),
		batching.WithBatchSize(DefaultBatchSize),
	}
	return batching.New(sink, append(defaults, opts...)...), nil
}
