package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/adapters/internal/eventcodec"
	"github.com/eppokit/eppokit/batching"
)

// Message headers set on every event.
const (
	// HeaderEventID carries [batching.Event.ID], stable across retries: consumers drop repeats by it.
	HeaderEventID = "eppo-event-id"
	// HeaderEventKind carries "assignment" or "bandit".
	HeaderEventKind = "eppo-event-kind"
)

// ErrClosed is returned (as a permanent error) by Export after [Sink.Close].
var ErrClosed = errors.New("kafka: sink is closed")

// ErrNoBrokers is returned by [NewSink] when no broker address is given.
var ErrNoBrokers = errors.New("kafka: no broker addresses")

// Sink writes exposure events to Kafka. It implements [batching.Sink], [batching.Encoder] and
// [batching.SizeLimiter], and is safe for concurrent use (kafka.Writer is).
type Sink struct {
	w         *kafkago.Writer
	ownsConns *kafkago.Transport // the default transport, closed with the sink
	cfg       config
	bufs      sync.Pool // *[]byte scratch buffers for Encode

	closed    atomic.Bool
	closeOnce sync.Once
	closeDone chan error
}

var (
	_ batching.Sink        = (*Sink)(nil)
	_ batching.Encoder     = (*Sink)(nil)
	_ batching.SizeLimiter = (*Sink)(nil)
)

// NewSink returns a sink writing to the cluster reachable at brokers (host:port). It does not connect:
// the first Export looks the topics up.
func NewSink(brokers []string, opts ...Option) (*Sink, error) {
	if len(brokers) == 0 {
		return nil, ErrNoBrokers
	}
	cfg := newConfig(opts)
	s := &Sink{cfg: cfg, closeDone: make(chan error, 1)}
	transport := cfg.transport
	if transport == nil {
		s.ownsConns = &kafkago.Transport{DialTimeout: 5 * time.Second, ClientID: "eppokit"}
		transport = s.ownsConns
	}
	s.w = &kafkago.Writer{
		Addr:         kafkago.TCP(brokers...),
		Balancer:     cfg.balancer,
		MaxAttempts:  cfg.maxAttempts,
		BatchSize:    cfg.batchSize,
		BatchBytes:   int64(batchBytesFor(cfg.maxMessageBytes)),
		BatchTimeout: cfg.batchTimeout,
		ReadTimeout:  cfg.writeTimeout,
		WriteTimeout: cfg.writeTimeout,
		RequiredAcks: cfg.acks,
		Compression:  cfg.compression,
		Transport:    transport,
	}
	return s, nil
}

// batchBytesFor leaves room for the key and headers next to the largest value, so that kafka-go never
// refuses a message the pipeline let through.
func batchBytesFor(maxValue int) int { return max(maxValue+64<<10, 1<<20) }

// MaxEventBytes reports the largest encoded event the sink sends ([WithMaxMessageBytes]).
func (s *Sink) MaxEventBytes() int { return s.cfg.maxMessageBytes }

// Encode renders e as the JSON message value. It is called by the pipeline off the hot path, once per
// event; an error (a NaN probability, an attribute JSON cannot hold) drops that event alone.
func (s *Sink) Encode(e *batching.Event) ([]byte, error) {
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer s.bufs.Put(bp)
	var err error
	switch {
	case e.Kind == batching.KindAssignment && e.Assignment != nil:
		*bp, err = eventcodec.AppendAssignmentJSON((*bp)[:0], e.Assignment, s.cfg.naming)
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		*bp, err = eventcodec.AppendBanditJSON((*bp)[:0], e.Bandit, s.cfg.naming)
	default:
		return nil, fmt.Errorf("kafka: event %s: kind %v without its event", e.ID, e.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("kafka: event %s: %w", e.ID, err)
	}
	// The pipeline keeps the payload across retries, so it gets its own exact-size copy.
	return append([]byte(nil), *bp...), nil
}

var kindValues = [...][]byte{batching.KindAssignment: []byte("assignment"), batching.KindBandit: []byte("bandit")}

// Export writes the batch with one WriteMessages call bounded by ctx. Events without a payload (a sink
// used outside the pipeline) are encoded here.
func (s *Sink) Export(ctx context.Context, b batching.Batch) error {
	if s.closed.Load() {
		return batching.Permanent(ErrClosed)
	}
	if len(b.Events) == 0 {
		return ctx.Err()
	}
	var failed map[int]error
	// Keys, IDs and headers of the whole batch share two allocations; kafka-go may still read them after
	// a cancelled WriteMessages returns, so they are never reused.
	arenaLen := 0
	for i := range b.Events {
		arenaLen += len(subject(&b.Events[i])) + len(b.Events[i].ID)
	}
	arena := make([]byte, 0, arenaLen)
	headers := make([]kafkago.Header, 0, 2*len(b.Events))
	msgs := make([]kafkago.Message, 0, len(b.Events))
	index := make([]int, 0, len(b.Events)) // message -> event
	for i := range b.Events {
		e := &b.Events[i]
		value := e.Payload
		if value == nil {
			var err error
			if value, err = s.Encode(e); err != nil {
				if failed == nil {
					failed = make(map[int]error)
				}
				failed[i] = batching.Permanent(err)
				continue
			}
		}
		start := len(arena)
		arena = append(arena, subject(e)...)
		key := arena[start:len(arena):len(arena)]
		arena = append(arena, e.ID...)
		id := arena[start+len(key) : len(arena) : len(arena)]
		h := len(headers)
		headers = append(headers,
			kafkago.Header{Key: HeaderEventID, Value: id},
			kafkago.Header{Key: HeaderEventKind, Value: kindValues[e.Kind]})
		topic := s.cfg.assignmentTopic
		if e.Kind == batching.KindBandit {
			topic = s.cfg.banditTopic
		}
		msgs = append(msgs, kafkago.Message{Topic: topic, Key: key, Value: value, Headers: headers[h : h+2 : h+2]})
		index = append(index, i)
	}
	if len(msgs) == 0 {
		return &batching.PartialError{Failed: failed}
	}
	err := s.w.WriteMessages(ctx, msgs...)
	return s.result(err, len(b.Events), msgs, index, failed)
}

// subject returns the message key: the event's subject.
func subject(e *batching.Event) string {
	switch {
	case e.Kind == batching.KindAssignment && e.Assignment != nil:
		return e.Assignment.Subject
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		return e.Bandit.Subject
	}
	return ""
}

// result turns WriteMessages' error into the pipeline's per-event verdict.
func (s *Sink) result(err error, events int, msgs []kafkago.Message, index []int, failed map[int]error) error {
	if err == nil && failed == nil {
		return nil
	}
	fail := func(i int, err error) {
		if failed == nil {
			failed = make(map[int]error)
		}
		failed[i] = err
	}
	var werrs kafkago.WriteErrors
	var tooLarge kafkago.MessageTooLargeError
	switch {
	case err == nil:
	case errors.As(err, &werrs) && len(werrs) == len(msgs):
		for m, werr := range werrs {
			if werr != nil {
				fail(index[m], classify(fmt.Errorf("kafka: writing to %s: %w", msgs[m].Topic, werr)))
			}
		}
	case errors.As(err, &tooLarge):
		// kafka-go refused the whole call before writing anything because of one message.
		for m := range msgs {
			if eventID(msgs[m]) == eventID(tooLarge.Message) {
				fail(index[m], batching.Permanent(fmt.Errorf("kafka: message of %d bytes: %w", len(msgs[m].Value), err)))
			} else {
				fail(index[m], fmt.Errorf("kafka: not sent with an oversize message in the batch: %w", err))
			}
		}
	default:
		// Nothing is known per message (a metadata lookup failed, ctx ended): the whole batch failed,
		// although after a cancelled write some messages may still land.
		err = classify(fmt.Errorf("kafka: writing %d messages: %w", len(msgs), err))
		if failed == nil {
			return err
		}
		for _, i := range index {
			fail(i, err)
		}
	}
	if failed == nil {
		return nil
	}
	if len(failed) == events {
		if first, same := sameError(failed); same {
			return first
		}
	}
	return &batching.PartialError{Failed: failed}
}

func eventID(m kafkago.Message) string {
	for _, h := range m.Headers {
		if h.Key == HeaderEventID {
			return string(h.Value)
		}
	}
	return ""
}

// sameError reports whether every failure is the same error value (one cause for the whole batch).
func sameError(failed map[int]error) (error, bool) {
	var first error
	for _, err := range failed {
		if first == nil {
			first = err
		} else if err.Error() != first.Error() || batching.IsPermanent(err) != batching.IsPermanent(first) {
			return nil, false
		}
	}
	return first, true
}

// Close closes the writer, waiting for its in-flight writes until ctx ends. With brokers down kafka-go's
// Close can wait for minutes; this one then returns ctx's error and leaves the writer to finish in the
// background (bounded by [WithWriteTimeout] per attempt). A second Close returns nil.
func (s *Sink) Close(ctx context.Context) error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.closed.Store(true)
		go func() {
			err := s.w.Close()
			if s.ownsConns != nil {
				s.ownsConns.CloseIdleConnections()
			}
			s.closeDone <- err
		}()
	})
	if !first {
		return nil
	}
	select {
	case err := <-s.closeDone:
		if err != nil {
			return fmt.Errorf("kafka: close: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("kafka: close gave up waiting for in-flight writes: %w", context.Cause(ctx))
	}
}
