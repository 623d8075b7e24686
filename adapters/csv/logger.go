package csv

import "github.com/eppokit/eppokit/batching"

// NewLogger opens a [Sink] in dir with opts and returns a running pipeline in front of it, named "csv".
// The processor is a core.AssignmentLogger and core.BanditLogger; batchingOpts tune it (batch size,
// linger, retries, hooks). Close the processor to flush, fsync and close the files.
func NewLogger(dir string, opts []Option, batchingOpts ...batching.Option) (*batching.Processor, error) {
	sink, err := NewSink(dir, opts...)
	if err != nil {
		return nil, err
	}
	return batching.New(sink, append([]batching.Option{batching.WithName("csv")}, batchingOpts...)...), nil
}
