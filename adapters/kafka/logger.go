package kafka

import (
	"time"

	"github.com/eppokit/eppokit/batching"
)

// Pipeline settings [NewLogger] gives its processor before the caller's options: larger batches than
// batching's defaults, several in flight. Each batch becomes one produce request per partition, so larger
// batches make fuller requests on a partitioned topic.
const (
	// PipelineBatchSize is the most events per batch.
	PipelineBatchSize = 2048
	// PipelineBatchBytes is the most encoded bytes per batch; a produce request stays under the broker's
	// default 1 MiB message.max.bytes because the sink cuts larger partition groups into several requests.
	PipelineBatchBytes = 1 << 20
	// PipelineExportConcurrency is how many batches are in flight at once.
	PipelineExportConcurrency = 4
	// PipelineLinger is how long a batch that is not full waits for more events.
	PipelineLinger = 5 * time.Millisecond
)

// NewLogger creates a [Sink] from cfg and returns a running pipeline in front of it, or an error wrapping
// [ErrInvalidConfig]. The processor is a core.AssignmentLogger and core.BanditLogger; close it to deliver
// what is pending and close the sink.
//
// The pipeline starts from batching's defaults (queue size, retries and their budget, memory limit,
// export and close timeouts, non-blocking intake, no dedupe) with these settings of its own: name
// "kafka", batches of up to [PipelineBatchSize] events and [PipelineBatchBytes] bytes,
// [PipelineExportConcurrency] batches in flight and a [PipelineLinger] linger. opts are applied after them
// and override any of them.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(cfg)
	if err != nil {
		return nil, err
	}
	base := []batching.Option{
		batching.WithName("kafka"),
		batching.WithBatchSize(PipelineBatchSize),
		batching.WithBatchBytes(PipelineBatchBytes),
		batching.WithExportConcurrency(PipelineExportConcurrency),
		batching.WithLinger(PipelineLinger),
	}
	return batching.New(sink, append(base, opts...)...), nil
}
