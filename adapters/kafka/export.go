package kafka

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/batching"
)

// Export writes the batch and reports the outcome event by event. The events are grouped by topic and
// partition (the balancer over the partitions the cluster reports), and every partition's group is sent
// to its leader as its own produce request, all partitions at once: no request waits for a batch to
// fill. Export returns when every request was answered with the configured acks, or when ctx ends; a
// request still on the wire then may land anyway (a retry can then store it twice, same event ID). Events
// without a payload (a sink used outside the pipeline) are encoded here.
func (s *Sink) Export(ctx context.Context, b batching.Batch) error {
	if s.isClosed() {
		return batching.Permanent(ErrClosed)
	}
	if len(b.Events) == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafka: writing %d messages: %w", len(b.Events), err)
	}
	failed := map[int]error{}
	writes := s.plan(ctx, b.Events, failed)
	if len(writes) > 0 {
		s.send(ctx, writes, failed)
	}
	return verdict(failed, len(b.Events))
}

func (s *Sink) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// message is one event ready to send; key and id point into a per-batch arena.
type message struct {
	event      int // index in the batch
	key, id    []byte
	value      []byte
	kind       []byte
	wireLength int
}

// partitionWrite is the part of a batch bound for one partition, in batch order, cut into requests that
// fit the broker's limit. The sending goroutine fills errs (nil when all were acknowledged) before it
// hands the write back.
type partitionWrite struct {
	topic     string
	partition int
	msgs      []message
	ends      []int // end offset in msgs of each request
	open      int   // wire bytes of the request being filled
	errs      map[int]error
}

var kindValues = [...][]byte{batching.KindAssignment: []byte("assignment"), batching.KindBandit: []byte("bandit")}

// recordOverhead is an upper bound on what a record adds to its key, value and headers on the wire.
const recordOverhead = 64

// plan encodes what lacks a payload, looks each topic's partitions up and groups the events by partition.
// Events that cannot be planned (no encoding, no metadata) go to failed.
func (s *Sink) plan(ctx context.Context, events []batching.Event, failed map[int]error) []*partitionWrite {
	// Keys and IDs of the whole batch share one allocation; a request that outlives its Export may still
	// read them, so the arena is never reused.
	arenaLen := 0
	for i := range events {
		arenaLen += len(subject(&events[i])) + len(events[i].ID)
	}
	arena := make([]byte, 0, arenaLen)
	msgs := make([]message, 0, len(events))
	for i := range events {
		e := &events[i]
		if e.Kind != batching.KindAssignment && e.Kind != batching.KindBandit {
			failed[i] = batching.Permanent(fmt.Errorf("kafka: event %s: unknown kind %v", e.ID, e.Kind))
			continue
		}
		value := e.Payload
		if value == nil {
			var err error
			if value, err = s.Encode(e); err != nil {
				failed[i] = batching.Permanent(err)
				continue
			}
		}
		start := len(arena)
		arena = append(arena, subject(e)...)
		key := arena[start:len(arena):len(arena)]
		arena = append(arena, e.ID...)
		id := arena[start+len(key) : len(arena) : len(arena)]
		msgs = append(msgs, message{event: i, key: key, id: id, value: value, kind: kindValues[e.Kind],
			wireLength: len(key) + len(id) + len(value) + len(HeaderEventID) + len(HeaderEventKind) + recordOverhead})
	}

	var writes []*partitionWrite
	index := map[topicPartition]*partitionWrite{}
	partitions := map[string][]int{}
	limit := s.requestBytes()
	for _, m := range msgs {
		topic := s.topicOf(&events[m.event])
		parts, ok := partitions[topic]
		if !ok {
			var err error
			if parts, err = s.partitions(ctx, topic); err != nil {
				err = classify(fmt.Errorf("kafka: looking up topic %s: %w", topic, err))
				for _, other := range msgs {
					if s.topicOf(&events[other.event]) == topic {
						failed[other.event] = err
					}
				}
			}
			partitions[topic] = parts
		}
		if parts == nil {
			continue
		}
		tp := topicPartition{topic, s.cfg.Balancer.Balance(kafkago.Message{Topic: topic, Key: m.key}, parts...)}
		w := index[tp]
		if w == nil {
			w = &partitionWrite{topic: tp.topic, partition: tp.partition, msgs: make([]message, 0, len(msgs)/len(parts)+1)}
			index[tp] = w
			writes = append(writes, w)
		}
		// A request carries at least one message; a new one starts when the limit would be passed.
		if n := len(w.msgs); n > 0 && w.open+m.wireLength > limit {
			w.ends = append(w.ends, n)
			w.open = 0
		}
		w.msgs = append(w.msgs, m)
		w.open += m.wireLength
	}
	for _, w := range writes {
		w.ends = append(w.ends, len(w.msgs))
	}
	return writes
}

type topicPartition struct {
	topic     string
	partition int
}

// requestBytes is the most a produce request carries: the broker's default message.max.bytes (1 MiB), or
// more when [Config.MaxMessageBytes] says the broker accepts larger messages.
func (s *Sink) requestBytes() int { return max(s.cfg.MaxMessageBytes, 1<<20) - 16<<10 }

func (s *Sink) topicOf(e *batching.Event) string {
	if e.Kind == batching.KindBandit {
		return s.cfg.BanditTopic
	}
	return s.cfg.Topic
}

// partitions returns topic's partition IDs, served from the transport's metadata cache.
func (s *Sink) partitions(ctx context.Context, topic string) ([]int, error) {
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, t.Error
		}
		if len(t.Partitions) == 0 {
			break
		}
		ids := make([]int, len(t.Partitions))
		for i, p := range t.Partitions {
			ids[i] = p.ID
		}
		slices.Sort(ids)
		return ids, nil
	}
	return nil, kafkago.UnknownTopicOrPartition
}

// send runs every partition's requests at once and waits for their answers or for ctx. Requests are not
// cancelled with ctx: like kafka-go's Writer they end with their answer or [Config.WriteTimeout], and
// Close waits for them.
func (s *Sink) send(ctx context.Context, writes []*partitionWrite, failed map[int]error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		for _, w := range writes {
			for _, m := range w.msgs {
				failed[m.event] = batching.Permanent(ErrClosed)
			}
		}
		return
	}
	s.inflight.Add(len(writes))
	s.mu.RUnlock()
	done := make(chan *partitionWrite, len(writes))
	for _, w := range writes {
		go s.write(w, done)
	}
	answered := make(map[*partitionWrite]bool, len(writes))
	for len(answered) < len(writes) {
		select {
		case w := <-done:
			answered[w] = true
			for i, err := range w.errs {
				failed[w.msgs[i].event] = err
			}
		case <-ctx.Done():
			n := 0
			for _, w := range writes {
				if !answered[w] {
					n += len(w.msgs)
				}
			}
			err := fmt.Errorf("kafka: %d messages unanswered: %w", n, ctx.Err())
			for _, w := range writes {
				if !answered[w] {
					for _, m := range w.msgs {
						failed[m.event] = err
					}
				}
			}
			return
		}
	}
}

// write sends w's requests in order and stops at the first failure, so that a partition never gets a later
// event before an earlier one of the same batch; what was not sent fails as transient.
func (s *Sink) write(w *partitionWrite, done chan<- *partitionWrite) {
	defer s.inflight.Done()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	start := 0
	for _, end := range w.ends {
		res, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
			Topic: w.topic, Partition: w.partition, RequiredAcks: s.acks, Compression: s.cfg.Compression,
			Records: &records{msgs: w.msgs[start:end]},
		})
		if err == nil && res != nil {
			err = res.Error
		}
		if err != nil {
			w.fail(start, end, err, res)
			break
		}
		start = end
	}
	done <- w
}

// fail records the failure of the request w.msgs[start:end] and of the requests after it.
func (w *partitionWrite) fail(start, end int, err error, res *kafkago.ProduceResponse) {
	w.errs = make(map[int]error, len(w.msgs)-start)
	cause := classify(fmt.Errorf("kafka: writing %d messages to %s partition %d: %w", end-start, w.topic, w.partition, err))
	var recordErrs map[int]error
	if res != nil {
		recordErrs = res.RecordErrors
	}
	for i := start; i < end; i++ {
		if rerr, bad := recordErrs[i-start]; bad {
			w.errs[i] = batching.Permanent(fmt.Errorf("kafka: broker refused the record: %w (%v)", rerr, err))
		} else if len(recordErrs) > 0 {
			w.errs[i] = fmt.Errorf("kafka: refused with an invalid record in the same request: %v", err)
		} else {
			w.errs[i] = cause
		}
	}
	later := fmt.Errorf("kafka: not sent: an earlier request to %s partition %d failed: %v", w.topic, w.partition, err)
	for i := end; i < len(w.msgs); i++ {
		w.errs[i] = later
	}
	// A broker that throttles asks for a pause (its quota): the retry waits at least that long.
	if res != nil && res.Throttle > 0 {
		for i, e := range w.errs {
			if !batching.IsPermanent(e) {
				w.errs[i] = batching.RetryAfter(e, res.Throttle)
			}
		}
	}
}

// verdict turns per-event failures into Export's result: nil, one error for all, or a PartialError.
func verdict(failed map[int]error, events int) error {
	if len(failed) == 0 {
		return nil
	}
	if len(failed) == events {
		if first, same := sameError(failed); same {
			return first
		}
	}
	return &batching.PartialError{Failed: failed}
}

// sameError reports whether every failure is the same error (one cause for the whole batch).
func sameError(failed map[int]error) (error, bool) {
	var first error
	for _, err := range failed {
		if first == nil {
			first = err
		} else if err != first && (err.Error() != first.Error() || batching.IsPermanent(err) != batching.IsPermanent(first)) {
			return nil, false
		}
	}
	return first, true
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

// records feeds a request's messages to kafka-go one at a time, reusing one record and its readers: the
// protocol encoder is done with a record before it asks for the next.
type records struct {
	msgs       []message
	next       int
	rec        kafkago.Record
	key, value bytesReader
	headers    [2]kafkago.Header
}

func (r *records) ReadRecord() (*kafkago.Record, error) {
	if r.next >= len(r.msgs) {
		return nil, io.EOF
	}
	m := &r.msgs[r.next]
	r.next++
	r.key.Reset(m.key)
	r.value.Reset(m.value)
	r.headers = [2]kafkago.Header{{Key: HeaderEventID, Value: m.id}, {Key: HeaderEventKind, Value: m.kind}}
	r.rec = kafkago.Record{Key: &r.key, Value: &r.value, Headers: r.headers[:]}
	return &r.rec, nil
}

type bytesReader struct{ bytes.Reader }

func (*bytesReader) Close() error { return nil }
