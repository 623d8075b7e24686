package csv

import "github.com/eppokit/eppokit/batching"

// NewLogger opens a [Sink] configured by cfg and returns a running pipeline in front of it: a
// core.AssignmentLogger and core.BanditLogger whose LogAssignment and LogBanditAction never block. The
// pipeline is batching's defaults plus the name "csv"; opts apply after them (batch size, linger,
// retries, dedupe, hooks). Close the processor to flush, fsync and close the files.
func NewLogger(cfg Config, opts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(cfg)
	if err != nil {
		return nil, err
	}
	return batching.New(sink, append([]batching.Option{batching.WithName("csv")}, opts...)...), nil
}
