package batching

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

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
	ids     idSource

	queue ring[item]
	ctr   counters

	closed   atomic.Bool
	closing  chan struct{} // closed when Close begins: unblocks blocking-mode senders
	stop     chan struct{} // closed when Close begins: tells the batcher to drain and finish
	wake     chan struct{} // a filling queue wakes the batcher before its next poll
	wakeMask uint64        // a sender whose queue position has these bits clear wakes the batcher

	// Blocking mode: senders waiting for room count themselves in waiters and wait on *room, which the
	// batcher closes (and replaces) after it freed slots.
	waiters atomic.Int32
	room    atomic.Pointer[chan struct{}]
	flushes chan chan uint64
	spare   chan *batch // settled batches whose storage the batcher may reuse

	// dequeued and intakeDropped let Close know when no logging call is between its counter and the queue.
	dequeued      atomic.Uint64
	intakeDropped atomic.Uint64
	intakeDrops   [numReasons]atomic.Uint64 // the intake share of ctr.dropped, for reporting

	abortCtx context.Context // cancelled when Close's deadline ends
	abort    context.CancelFunc
	aborted  atomic.Bool

	mu            sync.Mutex
	work          *sync.Cond
	ready         []*batch          // sealed batches waiting for an exporter, oldest first
	outstanding   map[uint64]*batch // sealed batches not yet settled, by sequence
	settled       chan struct{}     // closed and replaced whenever a batch settles
	batcherDone   chan struct{}
	exportersLeft atomic.Int32
	exportersDone chan struct{}
	finished      bool // the batcher sealed its last batch

	closeStarted atomic.Bool
	closeDone    chan struct{}
	closeErr     error

	logs rateLog
}

var (
	_ core.AssignmentLogger     = (*Processor)(nil)
	_ core.BanditLogger         = (*Processor)(nil)
	_ dedupe.AssignmentAcceptor = (*Processor)(nil)
	_ dedupe.BanditAcceptor     = (*Processor)(nil)
	_ core.AssignmentFilter     = (*Processor)(nil)
	_ core.BanditFilter         = (*Processor)(nil)
)

// item is one queued event; exactly one of a and b is meaningful, as kind says.
type item struct {
	kind Kind
	size int64 // memory estimate counted at intake
	a    core.AssignmentEvent
	b    core.BanditEvent
}

// spareBatches sizes the pool of settled batches kept for reuse: enough to cover the batches one drain of a
// full queue seals, so that a burst does not allocate fresh batch storage (and feed the GC, whose write
// barriers then slow the logging goroutines). The pool holds emptied storage only, never events.
func spareBatches(cfg config) int {
	return cfg.concurrency + 2 + min((cfg.queueSize+cfg.batchSize-1)/cfg.batchSize, 64)
}

// clear drops the slot's references so that a queued event's strings and maps are not kept alive.
func (it *item) clear() {
	if it.kind == KindBandit {
		it.b = core.BanditEvent{}
	} else {
		it.a = core.AssignmentEvent{}
	}
}

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
		closing:       make(chan struct{}),
		stop:          make(chan struct{}),
		wake:          make(chan struct{}, 1),
		wakeMask:      wakeMask(cfg.queueSize),
		flushes:       make(chan chan uint64),
		spare:         make(chan *batch, spareBatches(cfg)),
		outstanding:   make(map[uint64]*batch),
		settled:       make(chan struct{}),
		batcherDone:   make(chan struct{}),
		closeDone:     make(chan struct{}),
		exportersDone: make(chan struct{}),
	}
	p.queue.init(cfg.queueSize)
	room := make(chan struct{})
	p.room.Store(&room)
	p.logs.init(cfg.logger.With("sink", cfg.name), cfg.logInterval)
	p.work = sync.NewCond(&p.mu)
	p.enc, _ = sink.(Encoder)
	if l, ok := sink.(SizeLimiter); ok {
		p.maxSize = max(l.MaxEventBytes(), 0)
	}
	if cfg.dedupe != nil {
		p.cache = dedupe.New(*cfg.dedupe)
	}
	p.abortCtx, p.abort = context.WithCancel(context.Background())
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
// false means it was dropped and counted (queue full, closed or memory limit).
func (p *Processor) TryLogAssignment(e core.AssignmentEvent) bool {
	if p.cache == nil {
		return p.offerAssignment(&e)
	}
	return p.cache.AdmitAssignment(&e, func() bool { return p.offerAssignment(&e) }) != dedupe.Refused
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

// TryLogBanditAction is TryLogAssignment for bandit events.
func (p *Processor) TryLogBanditAction(e core.BanditEvent) bool {
	if p.cache == nil {
		return p.offerBandit(&e)
	}
	return p.cache.AdmitBandit(&e, func() bool { return p.offerBandit(&e) }) != dedupe.Refused
}

func (p *Processor) offerAssignment(e *core.AssignmentEvent) bool {
	s, pos, ok := p.reserve(assignmentSize(e))
	if ok {
		s.val.kind, s.val.a = KindAssignment, *e
		p.commit(s, pos)
	}
	return ok
}

func (p *Processor) offerBandit(e *core.BanditEvent) bool {
	s, pos, ok := p.reserve(banditSize(e))
	if ok {
		s.val.kind, s.val.b = KindBandit, *e
		p.commit(s, pos)
	}
	return ok
}

// reserve is the whole hot path after dedupe: two atomic adds and a slot claimed with one CAS. The caller
// writes the event straight into the slot (one copy) and commits it. A false result was counted as a drop.
// The slot comes back with its size estimate set.
//
// accepted is counted before the closed check, so that Close can wait until every sender that got past the
// check has reached the queue (accepted = dequeued + intakeDropped).
func (p *Processor) reserve(size int64) (*ringSlot[item], uint64, bool) {
	p.ctr.accepted.Add(1)
	if p.closed.Load() {
		return nil, 0, p.refuse(idxClosed, 0)
	}
	if p.ctr.mem.Add(size) > p.cfg.memoryLimit && !p.cfg.blocking {
		return nil, 0, p.refuse(idxMemoryLimit, size)
	}
	if s, pos, ok := p.queue.reserve(); ok {
		s.val.size = size
		return s, pos, true
	}
	p.nudge()
	if !p.cfg.blocking {
		return nil, 0, p.refuse(idxQueueFull, size)
	}
	return p.reserveBlocking(size)
}

// reserveBlocking waits for a free slot (blocking mode) until Close begins.
func (p *Processor) reserveBlocking(size int64) (*ringSlot[item], uint64, bool) {
	for {
		// Load the channel and announce the wait before the retry: a batcher that frees a slot after the
		// retry saw the ring full also sees waiters > 0 and closes this channel (or a newer one).
		room := *p.room.Load()
		p.waiters.Add(1)
		s, pos, ok := p.queue.reserve()
		if !ok {
			p.nudge()
			select {
			case <-room:
			case <-p.closing:
				p.waiters.Add(-1)
				return nil, 0, p.refuse(idxClosed, size)
			}
		}
		p.waiters.Add(-1)
		if ok {
			s.val.size = size
			return s, pos, true
		}
	}
}

// commit publishes a filled slot and, every so many positions, wakes the batcher before its next poll.
func (p *Processor) commit(s *ringSlot[item], pos uint64) {
	p.queue.commit(s, pos)
	if pos&p.wakeMask == p.wakeMask {
		p.nudge()
	}
}

// wakeMask makes every n-th sender wake the batcher, n being the power of two nearest below a quarter of
// the queue: the batcher then drains a quarter-full queue instead of waiting for its poll.
func wakeMask(queueSize int) uint64 {
	n := uint64(1)
	for n*2 <= uint64(max(queueSize/4, 1)) {
		n *= 2
	}
	return n - 1
}

// signalRoom wakes the blocking-mode senders waiting for a free slot; only the batcher calls it.
func (p *Processor) signalRoom() {
	if p.waiters.Load() == 0 {
		return
	}
	next := make(chan struct{})
	close(*p.room.Swap(&next))
}

// nudge wakes the batcher without waiting.
func (p *Processor) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// refuse counts an intake drop. The batcher reports it to hooks and logs on its next poll: waking it here
// would make the drop path pay for a goroutine wakeup.
func (p *Processor) refuse(r reasonIndex, size int64) bool {
	if size != 0 {
		p.ctr.mem.Add(-size)
	}
	p.ctr.dropped[r].Add(1)
	p.intakeDrops[r].Add(1)
	p.intakeDropped.Add(1)
	return false
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
	s.Accepted = p.ctr.accepted.Load()
	s.Pending = s.Accepted - settled
	s.Retried = p.ctr.retried.Load()
	s.Batches = p.ctr.batches.Load()
	s.QueueDepth = p.queue.Len()
	s.QueueCapacity = p.cfg.queueSize
	s.InFlight = int(max(p.ctr.inFlight.Load(), 0))
	s.MemoryBytes = max(p.ctr.mem.Load(), 0)
	s.HookPanics = p.ctr.hookPanics.Load()
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

// Size estimates: the struct itself plus the bytes its strings and maps point to. Strings shared with the
// configuration are counted too, so the estimate errs on the safe side.
const (
	attrEntryEstimate = 64
	itemSize          = int64(unsafe.Sizeof(item{}))
)

func assignmentSize(e *core.AssignmentEvent) int64 {
	n := len(e.FeatureFlag) + len(e.Allocation) + len(e.Experiment) + len(e.Variation) + len(e.Subject) +
		attrEntryEstimate*(len(e.SubjectAttributes)+len(e.ExtraLogging))
	return itemSize + int64(n)
}

func banditSize(e *core.BanditEvent) int64 {
	n := len(e.FlagKey) + len(e.BanditKey) + len(e.Subject) + len(e.Action) + len(e.ModelVersion) +
		attrEntryEstimate*(len(e.SubjectNumericAttributes)+len(e.SubjectCategoricalAttributes)+
			len(e.ActionNumericAttributes)+len(e.ActionCategoricalAttributes))
	return itemSize + int64(n)
}

// discard is the sink used when New is given nil.
type discard struct{}

func (discard) Export(context.Context, Batch) error { return nil }
func (discard) Close(context.Context) error         { return nil }
