package kafka

import "github.com/eppokit/eppokit/batching"

// NewLogger creates a [Sink] for brokers with opts and returns a running pipeline in front of it, named
// "kafka", whose batch size matches the writer's ([WithBatchSize]) so that full batches are written
// without waiting for the batch timeout. The processor is a core.AssignmentLogger and
// core.BanditLogger; batchingOpts tune it further (a batching.WithBatchSize there overrides the pipeline's
// batch size only). Close the processor to deliver what is pending and close the writer.
func NewLogger(brokers []string, opts []Option, batchingOpts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(brokers, opts...)
	if err != nil {
		return nil, err
	}
	base := []batching.Option{batching.WithName("kafka"), batching.WithBatchSize(sink.cfg.batchSize)}
	return batching.New(sink, append(base, batchingOpts...)...), nil
}
