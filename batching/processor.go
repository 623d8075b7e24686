package batching

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// Processor is the asynchronous exposure pipeline in front of one [Sink]: dedupe, a bounded queue, one
// batcher goroutine and a fixed number of exporter goroutines. It implements core.AssignmentLogger and
// core.BanditLogger; the logging methods never wait on I/O (unless [WithBlocking] is set).
//
// Create it with [New] and release it with [Processor.Close]. All methods are safe for concurrent use.
type Processor struct {
	cfg     config
	sink    Sink
	enc     Encoder
	maxSize int // from SizeLimiter; 0 means no limit
	cache   *dedupe.Cache
	ids     idSource // used by the batcher only

	q       queue
	mem     atomic.Int64 // bytes held outside the queue: the batch being built, waiting and in-flight batches
	waiting atomic.Int64 // bytes of sealed batches no exporter has taken yet: what the memory policy may drop
	ctr     counters

	wake    chan struct{} // one slot: the batcher has work (events arrived, memory to shed)
	flushes chan chan uint64
	// spare holds the storage of delivered full batches for the batcher to reuse (counted in mem): enough
	// for the batches one drain of a full queue seals, so that a burst does not allocate fresh storage (and
	// feed the GC, whose write barriers then slow the logging goroutines).
	spare chan storage
	stop  chan struct{} // closed when Close begins: tells the batcher to take the rest and finish
	loops atomic.Uint64 // batcher loop iterations, so a test can see that an idle batcher sleeps

	abortCtx context.Context // cancelled when Close gives up on delivery
	abort    context.CancelFunc
	aborted  atomic.Bool

	mu            sync.Mutex
	work          *sync.Cond
	ready         []*batch          // sealed batches waiting for an exporter, oldest first
	outstanding   map[uint64]*batch // sealed batches not yet settled, by sequence
	settled       chan struct{}     // closed and replaced whenever a batch settles
	finished      bool              // the batcher sealed its last batch
	batcherDone   chan struct{}
	exportersLeft atomic.Int32
	exportersDone chan struct{}

	hooks notifier
	logs  rateLog

	closeStarted atomic.Bool
	hurry        context.Context // cancelled when a waiting Close caller's context ends: give up now
	hurryUp      context.CancelCauseFunc
	closeDone    chan struct{}
	closeErr     error
}

var (
	_ core.AssignmentLogger     = (*Processor)(nil)
	_ core.BanditLogger         = (*Processor)(nil)
	_ dedupe.AssignmentAcceptor = (*Processor)(nil)
	_ dedupe.BanditAcceptor     = (*Processor)(nil)
	_ core.AssignmentFilter     = (*Processor)(nil)
	_ core.BanditFilter         = (*Processor)(nil)
)

// New starts a pipeline that delivers to sink. A nil sink discards every event (counted delivered).
func New(sink Sink, opts ...Option) *Processor {
	if sink == nil {
		sink = discard{}
	}
	cfg := newConfig(opts)
	p := &Processor{
		cfg:           cfg,
		sink:          sink,
		ids:           newIDSource(),
		wake:          make(chan struct{}, 1),
		flushes:       make(chan chan uint64),
		spare:         make(chan storage, cfg.concurrency+2+min(cfg.queueSize/cfg.batchSize, 64)),
		stop:          make(chan struct{}),
		outstanding:   make(map[uint64]*batch),
		settled:       make(chan struct{}),
		batcherDone:   make(chan struct{}),
		exportersDone: make(chan struct{}),
		closeDone:     make(chan struct{}),
	}
	p.q.init(cfg.queueSize)
	p.logs.init(cfg.logger.With("sink", cfg.name), cfg.logInterval)
	p.hooks.init(cfg.onDrop, cfg.onError, &p.ctr, &p.logs)
	p.work = sync.NewCond(&p.mu)
	p.enc, _ = sink.(Encoder)
	if l, ok := sink.(SizeLimiter); ok {
		p.maxSize = max(l.MaxEventBytes(), 0)
	}
	if cfg.dedupe != nil {
		p.cache = dedupe.New(*cfg.dedupe)
	}
	p.abortCtx, p.abort = context.WithCancel(context.Background())
	p.hurry, p.hurryUp = context.WithCancelCause(context.Background())
	go p.runBatcher()
	p.exportersLeft.Store(int32(cfg.concurrency))
	for range cfg.concurrency {
		go p.runExporter()
	}
	return p
}

// LogAssignment implements core.AssignmentLogger. It never blocks (unless [WithBlocking] is set) and never
// fails: a refused event is counted in [Stats.Dropped].
func (p *Processor) LogAssignment(e core.AssignmentEvent) { p.TryLogAssignment(e) }

// LogBanditAction implements core.BanditLogger like [Processor.LogAssignment].
func (p *Processor) LogBanditAction(e core.BanditEvent) { p.TryLogBanditAction(e) }

// TryLogAssignment is LogAssignment that reports whether the event was queued (or suppressed as a duplicate).
// false means it was dropped and counted (queue full, closed or memory limit). It implements
// dedupe.AssignmentAcceptor, so a dedupe wrapper in front of the processor leaves a refused key unmarked.
func (p *Processor) TryLogAssignment(e core.AssignmentEvent) bool {
	if p.cache == nil {
		return p.offer(&e, nil, assignmentRefs(&e))
	}
	return p.cache.AdmitAssignment(&e, func() bool { return p.offer(&e, nil, assignmentRefs(&e)) }) != dedupe.Refused
}

// TryLogBanditAction is TryLogAssignment for bandit events.
func (p *Processor) TryLogBanditAction(e core.BanditEvent) bool {
	if p.cache == nil {
		return p.offer(nil, &e, banditRefs(&e))
	}
	return p.cache.AdmitBandit(&e, func() bool { return p.offer(nil, &e, banditRefs(&e)) }) != dedupe.Refused
}

// SuppressAssignment implements core.AssignmentFilter: with dedupe on, true for an exposure already logged
// (counted in [Stats.Deduplicated]), so the client need not build the event at all.
func (p *Processor) SuppressAssignment(flag, subject, allocation, variation string) bool {
	return p.cache != nil && p.cache.Suppress(dedupe.KindAssignment, flag, subject, allocation, variation)
}

// SuppressBanditAction implements core.BanditFilter like [Processor.SuppressAssignment].
func (p *Processor) SuppressBanditAction(flag, subject, bandit, action string) bool {
	return p.cache != nil && p.cache.Suppress(dedupe.KindBandit, flag, subject, bandit, action)
}

// Stats returns a snapshot of the processor's counters. See [Stats] for the accounting identity.
func (p *Processor) Stats() Stats {
	s := Stats{Name: p.cfg.name, Dropped: make(map[DropReason]uint64)}
	// Settled counters first, accepted last: events settle only after they were accepted, so the
	// difference is never negative.
	s.Delivered = p.ctr.delivered.Load()
	settled := s.Delivered
	for i, r := range reasons {
		if n := p.ctr.dropped[i].Load(); n > 0 {
			s.Dropped[r] = n
			settled += n
		}
	}
	s.Retried = p.ctr.retried.Load()
	s.Batches = p.ctr.batches.Load()
	s.InFlight = int(max(p.ctr.inFlight.Load(), 0))
	s.HookPanics = p.ctr.hookPanics.Load()
	s.QueueDepth = p.q.r.Len()
	s.QueueCapacity = p.cfg.queueSize
	held := p.memoryInUse()
	s.Accepted = p.q.accepted.Load()
	s.Pending = s.Accepted - settled
	s.MemoryBytes = max(held, 0)
	if p.cache != nil {
		ds := p.cache.Stats()
		s.Deduplicated = ds.Hits
		s.Dedupe = &ds
	}
	p.ctr.errMu.Lock()
	s.LastError = p.ctr.lastErr
	if !p.ctr.errTime.IsZero() {
		t := p.ctr.errTime
		s.LastErrorTime = &t
	}
	p.ctr.errMu.Unlock()
	return s
}

// Name returns the name given with [WithName].
func (p *Processor) Name() string { return p.cfg.name }

// memoryInUse is what [WithMemoryLimit] bounds: the queue's slots and events, and everything the batcher
// and exporters hold.
func (p *Processor) memoryInUse() int64 {
	return p.q.bytes.Load() + p.q.storage.Load() + p.mem.Load()
}

// discard is the sink used when New is given nil.
type discard struct{}

func (discard) Export(context.Context, Batch) error { return nil }
func (discard) Close(context.Context) error         { return nil }
