package segment

import (
	"errors"

	"github.com/eppokit/eppokit/batching"
)

var (
	// ErrInvalidConfig is wrapped by the error of [NewSink] and [NewLogger] when a [Config] cannot be
	// used; the message names the field.
	ErrInvalidConfig = errors.New("segment: invalid configuration")
	// ErrClosed is the cause of the permanent error Export returns after Close. It is
	// [batching.ErrClosed], so one errors.Is test works for every adapter and the pipeline.
	ErrClosed = batching.ErrClosed
)
