package kafka

import (
	"context"
	"fmt"
	"sync"

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

// Sink writes exposure events to Kafka. It implements [batching.Sink], [batching.Encoder] and
// [batching.SizeLimiter], and is safe for concurrent use.
type Sink struct {
	cfg    resolved
	naming eventcodec.Naming
	client *kafkago.Client
	acks   kafkago.RequiredAcks
	bufs   sync.Pool // *[]byte scratch buffers for Encode

	mu        sync.RWMutex // orders closed against inflight.Add
	closed    bool
	inflight  sync.WaitGroup // produce requests, also those whose Export already returned
	closeOnce sync.Once
	closeDone chan struct{}
}

var (
	_ batching.Sink        = (*Sink)(nil)
	_ batching.Encoder     = (*Sink)(nil)
	_ batching.SizeLimiter = (*Sink)(nil)
)

// NewSink returns a sink for the cluster at cfg.Brokers, or an error wrapping [ErrInvalidConfig] that names
// the unusable field. It does not connect: the first Export looks the topics up.
func NewSink(cfg Config) (*Sink, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &Sink{cfg: r, acks: r.Acks.required(), closeDone: make(chan struct{})}
	if r.WarehouseNaming {
		s.naming = eventcodec.Warehouse
	}
	s.client = &kafkago.Client{Addr: kafkago.TCP(r.Brokers...), Timeout: r.WriteTimeout, Transport: r.Transport}
	return s, nil
}

// MaxEventBytes reports the largest encoded event the sink sends ([Config.MaxMessageBytes]).
func (s *Sink) MaxEventBytes() int { return s.cfg.MaxMessageBytes }

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
		*bp, err = eventcodec.AppendAssignmentJSON((*bp)[:0], e.Assignment, s.naming)
	case e.Kind == batching.KindBandit && e.Bandit != nil:
		*bp, err = eventcodec.AppendBanditJSON((*bp)[:0], e.Bandit, s.naming)
	default:
		return nil, fmt.Errorf("kafka: event %s: kind %v without its event", e.ID, e.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("kafka: event %s: %w", e.ID, err)
	}
	// The pipeline keeps the payload across retries, so it gets its own exact-size copy.
	return append([]byte(nil), *bp...), nil
}

// Close waits, until ctx ends, for produce requests still on the wire (also those whose Export gave up),
// then closes the connections of the transport the sink built; a transport from [Config.Transport] is
// left open. With brokers down it returns ctx's error and lets the requests end in the background, each
// bounded by [Config.WriteTimeout]. A second Close returns nil.
func (s *Sink) Close(ctx context.Context) error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		go func() {
			s.inflight.Wait()
			if s.cfg.ownedTransport != nil {
				s.cfg.ownedTransport.CloseIdleConnections()
			}
			close(s.closeDone)
		}()
	})
	if !first {
		return nil
	}
	select {
	case <-s.closeDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("kafka: close gave up waiting for in-flight writes: %w", context.Cause(ctx))
	}
}
