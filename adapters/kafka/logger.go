package kafka

import (
	"time"

	"github.com/eppokit/eppokit/batching"
)

// Pipeline settings [NewLogger] gives its processor before the caller's options.
const (
	// PipelineExportConcurrency is how many batches are in flight at once. Each batch is itself sent to all
	// its partitions at once, so this many requests per partition can be on the wire.
	PipelineExportConcurrency = 4
	// PipelineLinger is how long a batch that is not full waits for more events.
	PipelineLinger = 5 * time.Millisecond
)

// NewLogger creates a [Sink] from cfg and returns a running pipeline in front of it. The processor is a
// core.AssignmentLogger and core.BanditLogger; close it to deliver what is pending and close the sink.
//
// The pipeline starts from batching's defaults (batch size, queue, retries, memory limit, non-blocking
// intake) with these settings of its own: name "kafka", [PipelineExportConcurrency] batches in flight and
// a [PipelineLinger] linger. opts are applied after them and override any of them.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(cfg)
	if err != nil {
		return nil, err
	}
	base := []batching.Option{
		batching.WithName("kafka"),
		batching.WithExportConcurrency(PipelineExportConcurrency),
		batching.WithLinger(PipelineLinger),
	}
	return batching.New(sink, append(base, opts...)...), nil
}
