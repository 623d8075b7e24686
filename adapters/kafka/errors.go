package kafka

import (
	"errors"
	"io"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/batching"
)

// ErrClosed is returned, marked permanent, by Export after [Sink.Close]. It is [batching.ErrClosed], so one
// errors.Is check covers every adapter and the pipeline.
var ErrClosed = batching.ErrClosed

// ErrInvalidConfig is wrapped by [NewSink] and [NewLogger] when a [Config] is unusable; the message names
// the field.
var ErrInvalidConfig = errors.New("kafka: invalid config")

// classify marks failures retrying cannot fix as permanent: kafka protocol errors that are not temporary
// (message too large, authorisation, invalid configuration), invalid records, and a closed transport.
// Everything else (temporary kafka errors, network errors, timeouts, unknown errors) stays transient,
// for the pipeline to retry.
func classify(err error) error {
	var kerr kafkago.Error
	switch {
	case errors.Is(err, io.ErrClosedPipe):
		return batching.Permanent(err)
	case errors.As(err, &kerr):
		if kerr == kafkago.InvalidMessage || kerr == kafkago.InvalidRecord || !kerr.Temporary() {
			return batching.Permanent(err)
		}
	}
	return err
}
