package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	produceapi "github.com/segmentio/kafka-go/protocol/produce"

	"github.com/eppokit/eppokit/batching"
)

// Export writes the batch and reports the outcome event by event. The events are grouped by topic and
// partition (the balancer over the partitions the cluster reports), and each leader broker gets one
// produce request carrying the record set of every partition it leads, all brokers at once: no request
// waits for a batch to fill. Export returns when every request was answered with the configured acks, or when ctx ends; a
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

// partitionWrite is the part of a batch bound for one partition, in batch order, cut into record sets
// that fit the broker's limit. The sending goroutine fills errs (nil when all were acknowledged) before it
// hands the write back.
type partitionWrite struct {
	topic     string
	partition int
	leader    int // broker ID
	msgs      []message
	ends      []int // end offset in msgs of each record set
	open      int   // wire bytes of the record set being filled
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
	layouts := map[string]topicLayout{}
	limit := s.requestBytes()
	for _, m := range msgs {
		topic := s.topicOf(&events[m.event])
		l, ok := layouts[topic]
		if !ok {
			var err error
			if l, err = s.layout(ctx, topic); err != nil {
				err = classify(fmt.Errorf("kafka: looking up topic %s: %w", topic, err))
				for _, other := range msgs {
					if s.topicOf(&events[other.event]) == topic {
						failed[other.event] = err
					}
				}
			}
			layouts[topic] = l
		}
		if l.ids == nil {
			continue
		}
		tp := topicPartition{topic, s.cfg.Balancer.Balance(kafkago.Message{Topic: topic, Key: m.key}, l.ids...)}
		w := index[tp]
		if w == nil {
			w = &partitionWrite{topic: tp.topic, partition: tp.partition, leader: l.leader[tp.partition],
				msgs: make([]message, 0, len(msgs)/len(l.ids)+1)}
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

// topicLayout is a topic's partitions as the transport's metadata cache reports them.
type topicLayout struct {
	ids    []int       // partition IDs, sorted, for the balancer
	leader map[int]int // partition ID -> leader broker ID
}

// layout looks topic up in the transport's metadata cache.
func (s *Sink) layout(ctx context.Context, topic string) (topicLayout, error) {
	md, err := s.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return topicLayout{}, err
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return topicLayout{}, t.Error
		}
		if len(t.Partitions) == 0 {
			break
		}
		l := topicLayout{ids: make([]int, len(t.Partitions)), leader: make(map[int]int, len(t.Partitions))}
		for i, p := range t.Partitions {
			l.ids[i] = p.ID
			l.leader[p.ID] = p.Leader.ID
		}
		slices.Sort(l.ids)
		return l, nil
	}
	return topicLayout{}, kafkago.UnknownTopicOrPartition
}

// send writes to every leader broker at once, one goroutine each, and waits for their answers or for ctx.
// Requests are not cancelled with ctx: like kafka-go's Writer they end with their answer or
// [Config.WriteTimeout], and Close waits for them.
func (s *Sink) send(ctx context.Context, writes []*partitionWrite, failed map[int]error) {
	byLeader := map[int][]*partitionWrite{}
	var leaders []int
	for _, w := range writes {
		if byLeader[w.leader] == nil {
			leaders = append(leaders, w.leader)
		}
		byLeader[w.leader] = append(byLeader[w.leader], w)
	}
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
	s.inflight.Add(len(leaders))
	s.mu.RUnlock()
	done := make(chan []*partitionWrite, len(leaders))
	for _, id := range leaders {
		go s.writeLeader(byLeader[id], done)
	}
	answered := make(map[int]bool, len(leaders))
	for len(answered) < len(leaders) {
		select {
		case ws := <-done:
			answered[ws[0].leader] = true
			for _, w := range ws {
				for i, err := range w.errs {
					failed[w.msgs[i].event] = err
				}
			}
		case <-ctx.Done():
			n := 0
			for _, w := range writes {
				if !answered[w.leader] {
					n += len(w.msgs)
				}
			}
			err := fmt.Errorf("kafka: %d messages unanswered: %w", n, ctx.Err())
			for _, w := range writes {
				if !answered[w.leader] {
					for _, m := range w.msgs {
						failed[m.event] = err
					}
				}
			}
			return
		}
	}
}

// writeLeader sends the partitions ws, which share a leader, in as few produce requests as their record
// sets allow: request r carries the r-th record set of every partition that has one. A partition whose
// record set failed gets no later one, so that it never stores a later event before an earlier one of the
// same batch; what was not sent fails as transient.
func (s *Sink) writeLeader(ws []*partitionWrite, done chan<- []*partitionWrite) {
	defer s.inflight.Done()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	attrs := protocol.Attributes(s.cfg.Compression) & 0x7
	for round := 0; ; round++ {
		req := &produceapi.Request{Acks: int16(s.acks), Timeout: int32(s.cfg.WriteTimeout.Milliseconds())}
		var sent []*partitionWrite
		topicAt := map[string]int{}
		for _, w := range ws {
			if w.errs != nil || round >= len(w.ends) {
				continue
			}
			t, ok := topicAt[w.topic]
			if !ok {
				t = len(req.Topics)
				topicAt[w.topic] = t
				req.Topics = append(req.Topics, produceapi.RequestTopic{Topic: w.topic})
			}
			start, end := w.span(round)
			req.Topics[t].Partitions = append(req.Topics[t].Partitions, produceapi.RequestPartition{
				Partition: int32(w.partition),
				RecordSet: protocol.RecordSet{Attributes: attrs, Records: &records{msgs: w.msgs[start:end]}},
			})
			sent = append(sent, w)
		}
		if len(sent) == 0 {
			break
		}
		res, err := s.client.Transport.RoundTrip(ctx, s.client.Addr, req)
		var answer *produceapi.Response
		if err == nil && s.acks != kafkago.RequireNone {
			var ok bool
			if answer, ok = res.(*produceapi.Response); !ok {
				err = fmt.Errorf("kafka: unexpected answer %T to a produce request", res)
			}
		}
		for _, w := range sent {
			start, end := w.span(round)
			if err != nil {
				w.fail(start, end, err, nil, 0)
				continue
			}
			if answer == nil {
				continue // acks=0: written is delivered
			}
			perr, recordErrs := partitionResult(answer, w.topic, w.partition)
			if perr != nil {
				w.fail(start, end, perr, recordErrs, time.Duration(answer.ThrottleTimeMs)*time.Millisecond)
			}
		}
	}
	done <- ws
}

// span returns the bounds in w.msgs of record set r.
func (w *partitionWrite) span(r int) (start, end int) {
	if r > 0 {
		start = w.ends[r-1]
	}
	return start, w.ends[r]
}

// partitionResult finds a partition's answer in a produce response.
func partitionResult(res *produceapi.Response, topic string, partition int) (error, map[int]error) {
	for _, t := range res.Topics {
		if t.Topic != topic {
			continue
		}
		for _, p := range t.Partitions {
			if int(p.Partition) != partition {
				continue
			}
			if p.ErrorCode == 0 {
				return nil, nil
			}
			var err error = kafkago.Error(p.ErrorCode)
			if p.ErrorMessage != "" {
				err = fmt.Errorf("%w: %s", err, p.ErrorMessage)
			}
			var recordErrs map[int]error
			for _, re := range p.RecordErrors {
				if recordErrs == nil {
					recordErrs = map[int]error{}
				}
				recordErrs[int(re.BatchIndex)] = errors.New(re.BatchIndexErrorMessage)
			}
			return err, recordErrs
		}
	}
	return fmt.Errorf("kafka: the broker's answer lacks %s partition %d", topic, partition), nil
}

// fail records the failure of record set w.msgs[start:end] and of the record sets after it. A broker that
// throttles asks for a pause (its quota): the retry then waits at least throttle.
func (w *partitionWrite) fail(start, end int, err error, recordErrs map[int]error, throttle time.Duration) {
	w.errs = make(map[int]error, len(w.msgs)-start)
	cause := classify(fmt.Errorf("kafka: writing %d messages to %s partition %d: %w", end-start, w.topic, w.partition, err))
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
	if throttle > 0 {
		for i, e := range w.errs {
			if !batching.IsPermanent(e) {
				w.errs[i] = batching.RetryAfter(e, throttle)
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
