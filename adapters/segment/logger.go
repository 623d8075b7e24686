package segment

import "github.com/eppokit/eppokit/batching"

// NewLogger returns a ready pipeline delivering to a [Sink] built from cfg: its LogAssignment and
// LogBanditAction never block and never do I/O, and its Flush, Close and Stats account for every event.
// opts configure the pipeline (named "segment" unless opts say otherwise); keep cfg.BatchSize at or
// above the pipeline's batch size (both default to [batching.DefaultBatchSize]) so that each pipeline
// batch leaves in one request.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(cfg)
	if err != nil {
		return nil, err
	}
	return batching.New(sink, append([]batching.Option{batching.WithName("segment")}, opts...)...), nil
}
