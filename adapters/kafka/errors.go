package kafka

import (
	"errors"
	"io"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/batching"
)

// classify marks failures retrying cannot fix as permanent: kafka protocol errors kafka-go does not call
// temporary (message too large, authorisation, invalid configuration), invalid messages, and a closed
// writer. Everything else (temporary kafka errors, network errors, timeouts, unknown errors) stays
// transient, for the pipeline to retry.
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
