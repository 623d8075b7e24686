package batching

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// batch is a sealed batch. A batch sealed well short of the batch size (by linger, bytes or Flush) gets
// storage of its exact size, so one event costs one event's worth of memory whatever the batch size; a
// batch at least half full keeps the storage it was built in.
type batch struct {
	id     string
	seq    uint64
	events []Event
	store  storage

	// mu guards the rest: the exporter, the memory policy and a Close that gave up may each try to settle
	// events.
	mu        sync.Mutex
	remaining []Event // not yet delivered or dropped
	mem       int64   // bytes counted in Processor.mem for this batch, released when it settles
	done      bool
	popped    bool // taken by an exporter: its events count as in flight
	lossy     bool // some event was dropped (hooks may hold them): the storage is never reused
}

// storage holds a batch's events. Event.Assignment and Event.Bandit point into assigns and bandits.
type storage struct {
	events  []Event
	assigns []core.AssignmentEvent
	bandits []core.BanditEvent
}

func (s *storage) bytes() int64 {
	return int64(cap(s.events))*eventSize + int64(cap(s.assigns))*assignSize + int64(cap(s.bandits))*banditSize
}

// clear drops every reference the storage holds and empties it, keeping its capacity.
func (s *storage) clear() {
	clear(s.events[:cap(s.events)])
	clear(s.assigns[:cap(s.assigns)])
	clear(s.bandits[:cap(s.bandits)])
	s.events, s.assigns, s.bandits = s.events[:0], s.assigns[:0], s.bandits[:0]
}

// builder is the batch being built; only the batcher touches it. Its storage (counted in Processor.mem)
// comes from the spare pool or grows with the batch.
type builder struct {
	st    storage
	hint  int   // events left in the current drain: new storage is sized for them, up to the batch size
	bytes int   // for the byte limit: payload lengths, or estimates without an Encoder
	held  int64 // bytes the events point to (strings, maps, IDs, payloads), counted in Processor.mem
}

// runBatcher owns the batch being built: it takes queued events, encodes them, seals batches by count,
// bytes and linger, answers Flush requests and applies the memory policy. It sleeps until there is work:
// a sender that finds it parked wakes it, and the linger timer runs only while a batch is open.
// It never runs user code other than the sink's Encoder; hooks run on their own goroutine.
func (p *Processor) runBatcher() {
	defer close(p.batcherDone)
	var bd builder
	q := &p.q
	var idPool []string
	var lingerC, pollC <-chan time.Time
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	poll := time.NewTimer(time.Hour)
	poll.Stop()
	var reported [numReasons]uint64
	scratch := new(Event) // encoders see a reused heap copy

	// counted collects the bytes the builder took on during a drain, published to p.mem in one add: every
	// sender reads p.mem, so writing it per event would bounce its cache line between cores.
	var counted int64
	publish := func() {
		if counted != 0 {
			p.mem.Add(counted)
			counted = 0
		}
	}
	seal := func() {
		publish()
		if len(bd.st.events) > 0 {
			p.seal(&bd)
			if !p.cfg.blocking {
				p.shed() // a drain can seal many batches: keep to the cap after each
			}
		}
		linger.Stop()
		lingerC = nil
	}
	// add moves one event (exactly one of a and b is set) into the batch being built.
	add := func(a *core.AssignmentEvent, b *core.BanditEvent) {
		if len(idPool) == 0 {
			idPool = p.ids.eventIDs(p.cfg.batchSize)
		}
		ev := Event{ID: idPool[0], Kind: dedupe.KindAssignment, Assignment: a}
		if b != nil {
			ev.Kind, ev.Assignment, ev.Bandit = dedupe.KindBandit, nil, b
		}
		idPool = idPool[1:]
		var refs int64
		if b != nil {
			refs = banditBytes(b)
		} else {
			refs = assignmentBytes(a)
		}
		size := int(refs)
		if p.enc != nil {
			*scratch = ev
			var ok bool
			if ev.Payload, ok = p.encodeOrDrop(scratch); !ok {
				return
			}
			size = len(ev.Payload)
		}
		if len(bd.st.events) > 0 && bd.bytes+size > p.cfg.batchBytes {
			seal() // send what fits; a lone event larger than the byte limit still goes, alone
		}
		if len(bd.st.events) == 0 {
			linger.Reset(p.cfg.linger)
			lingerC = linger.C
		}
		held := refs + int64(cap(ev.Payload)+len(ev.ID))
		counted += held + p.build(&bd.st, ev, bd.hint)
		bd.bytes += size
		bd.held += held
		if len(bd.st.events) >= p.cfg.batchSize || bd.bytes >= p.cfg.batchBytes {
			seal()
		}
	}
	// drain moves queued events into batches; bounded, so that flush, linger and stop are still served.
	drain := func() (n int) {
		var estimates int64
		bd.hint = q.r.Len()
		for ; n < p.cfg.queueSize; n++ {
			it := q.r.front()
			if it == nil {
				break
			}
			estimates += it.refs
			if it.kind == KindBandit {
				add(nil, &it.b)
			} else {
				add(&it.a, nil)
			}
			bd.hint--
			*it = item{} // the batch copied the event: drop the slot's references to its strings and maps
			q.r.pop()
		}
		if n > 0 {
			publish()
			q.r.publishHead()
			q.bytes.Add(-estimates) // the builder counted the exact bytes instead
			q.dequeued.Add(uint64(n))
			p.signalRoom()
		}
		return n
	}

	for {
		p.loops.Add(1)
		var memWait <-chan struct{}
		took := 0
		if p.cfg.blocking {
			memWait = p.memoryFull() // back-pressure: take no events until memory frees
		}
		if memWait == nil {
			took = drain()
		}
		if !p.cfg.blocking && p.shed() {
			// Still over the cap with nothing left to drop: release the storage kept for reuse, so that
			// only events (queued or in flight) hold memory.
			if len(bd.st.events) == 0 {
				p.mem.Add(-bd.st.bytes())
				bd.st = storage{}
			}
			p.dropSpares()
		}
		p.reportIntakeDrops(&reported)
		pollC = nil
		if took > 0 {
			// Busy: look again shortly instead of parking, so that senders in a burst do not each pay
			// for waking us (a quarter-full queue still wakes us at once). The first look that finds
			// nothing parks.
			poll.Reset(min(busyPoll, p.cfg.linger))
			pollC = poll.C
		} else {
			// Park: announce it, then look at the ring once more, so that a sender publishing meanwhile
			// either sees sleeping and wakes us, or is seen here.
			q.sleeping.Store(true)
			if memWait == nil && q.r.front() != nil {
				q.sleeping.Store(false)
				continue
			}
		}
		select {
		case <-pollC:
		case <-p.wake:
		case <-lingerC:
			lingerC = nil
			seal()
		case <-memWait:
		case reply := <-p.flushes:
			drain()
			seal()
			reply <- p.ids.nextBatch
		case <-p.stop:
			// Close set closed before this. Take everything accepted, waiting for senders caught between
			// their count and the ring: they never wait there, and later senders see closed.
			for {
				drain()
				if q.settledIntake() {
					break
				}
				runtime.Gosched()
			}
			seal()
			p.reportIntakeDrops(&reported)
			p.mem.Add(-bd.st.bytes())
			q.storage.Store(0)
			q.r.release() // no sender can reach the ring any more
			p.mu.Lock()
			p.finished = true
			p.work.Broadcast()
			p.mu.Unlock()
			return
		}
		q.sleeping.Store(false)
	}
}

// build appends ev to st, copying the event it points to into st's own arrays, and returns by how many
// bytes st's storage grew. The arrays grow by doubling up to the batch size, so a quiet processor's open
// batch is small; when one moves, the events are pointed at the new array.
func (p *Processor) build(st *storage, ev Event, hint int) int64 {
	var grown int64
	if st.events == nil {
		select {
		case *st = <-p.spare: // counted while it waited in the pool
		default:
		}
	}
	st.events, grown = grow(st.events, hint, p.cfg.batchSize, eventSize)
	var g int64
	if ev.Kind == dedupe.KindBandit {
		ev.Bandit, g = put(st, &st.bandits, ev.Bandit, hint, p.cfg.batchSize, banditSize)
	} else {
		ev.Assignment, g = put(st, &st.assigns, ev.Assignment, hint, p.cfg.batchSize, assignSize)
	}
	st.events = append(st.events, ev)
	return grown + g
}

// busyPoll is how soon a batcher that just took events looks at the queue again (or the linger time, if
// shorter: see runBatcher).
const busyPoll = 5 * time.Millisecond

// growCap is the next capacity of a growing array: doubling, from 16, up to limit.
func growCap(n, limit int) int { return min(max(2*n, 16), limit) }

// put appends a copy of *v to *arr, one of st's arrays, and returns where the copy lives and by how many
// bytes the array grew.
func put[T any](st *storage, arr *[]T, v *T, hint, limit int, size int64) (*T, int64) {
	var grown int64
	if *arr, grown = grow(*arr, hint, limit, size); grown > 0 {
		st.repoint()
	}
	*arr = append(*arr, *v)
	return &(*arr)[len(*arr)-1], grown
}

// grow makes room for one more element and returns the bytes added: doubling, from room for the hint
// (at least 16), at most limit.
func grow[T any](s []T, hint, limit int, size int64) ([]T, int64) {
	if len(s) < cap(s) {
		return s, 0
	}
	c := growCap(len(s), limit)
	if cap(s) == 0 {
		c = min(max(hint, 16), limit)
	}
	bigger := make([]T, len(s), c)
	copy(bigger, s)
	return bigger, int64(c-cap(s)) * size
}

// repoint points every event at its copy in st's arrays (after one of them moved).
func (st *storage) repoint() {
	ai, bi := 0, 0
	for i := range st.events {
		ev := &st.events[i]
		if ev.Kind == dedupe.KindBandit {
			ev.Bandit = &st.bandits[bi]
			bi++
		} else {
			ev.Assignment = &st.assigns[ai]
			ai++
		}
	}
}

// seal queues the builder's events for export as one batch. A batch at least half full takes the builder's
// storage; a smaller one gets a copy of its exact size and the builder keeps its storage for the next.
func (p *Processor) seal(bd *builder) {
	st := &bd.st
	n, na, nb := len(st.events), len(st.assigns), len(st.bandits)
	b := &batch{}
	if 2*n >= cap(st.events) && 2*na >= cap(st.assigns) && 2*nb >= cap(st.bandits) {
		b.store, *st = *st, storage{}
		p.mem.Add(batchOverhead) // the storage was counted as the builder's
	} else {
		b.store = storage{events: make([]Event, n)}
		if na > 0 {
			b.store.assigns = make([]core.AssignmentEvent, na)
			copy(b.store.assigns, st.assigns)
		}
		if nb > 0 {
			b.store.bandits = make([]core.BanditEvent, nb)
			copy(b.store.bandits, st.bandits)
		}
		copy(b.store.events, st.events)
		b.store.repoint()
		st.clear()
		p.mem.Add(batchOverhead + b.store.bytes())
	}
	b.events = b.store.events
	b.mem = batchOverhead + b.store.bytes() + bd.held
	bd.bytes, bd.held = 0, 0

	b.id, b.seq = p.ids.batchID()
	b.remaining = b.events
	p.mu.Lock()
	p.ready = append(p.ready, b)
	p.outstanding[b.seq] = b
	p.waiting.Add(b.mem)
	p.work.Signal()
	p.mu.Unlock()
}

// recycle offers the storage of a batch whose events were all delivered to the next batch, so that a
// steady stream of full batches does not allocate. Only full-size storage is kept, and only storage no
// hook and no sink call can still read: a batch with a drop is recycled only when no exporter saw it and
// no drop hook is set (shed).
func (p *Processor) recycle(b *batch) {
	if cap(b.store.events) != p.cfg.batchSize {
		return
	}
	st := b.store
	st.clear()
	// Under p.mu, so that dropSpares at Close cannot miss storage added concurrently.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closeStarted.Load() {
		return // no batch will be built after Close
	}
	select {
	case p.spare <- st:
		p.mem.Add(st.bytes())
	default:
	}
}

// dropSpares releases the pool of reusable storage (Close, or memory pressure).
func (p *Processor) dropSpares() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		select {
		case st := <-p.spare:
			p.mem.Add(-st.bytes())
		default:
			return
		}
	}
}

// encodeOrDrop runs the sink's Encoder and returns the payload. An event that cannot be encoded, is too
// large or makes the encoder panic is dropped alone.
func (p *Processor) encodeOrDrop(ev *Event) ([]byte, bool) {
	payload, reason, err := p.encode(ev)
	if err != nil {
		p.ctr.dropped[reason].Add(1)
		p.ctr.setLastError(reason, err)
		p.forget(ev)
		p.logDrop(reason, 1, err)
		p.hooks.drop(Drop{Reason: reasons[reason], Count: 1, Events: []Event{copyEvent(ev)}, Err: err})
		return nil, false
	}
	return payload, true
}

// copyEvent detaches ev from the queue slot it points into, for a hook that may run later.
func copyEvent(ev *Event) Event {
	cp := *ev
	if ev.Assignment != nil {
		a := *ev.Assignment
		cp.Assignment = &a
	}
	if ev.Bandit != nil {
		b := *ev.Bandit
		cp.Bandit = &b
	}
	return cp
}

// encode runs the sink's Encoder, turning a panic into a drop.
func (p *Processor) encode(ev *Event) (payload []byte, reason reasonIndex, err error) {
	defer func() {
		if r := recover(); r != nil {
			payload, reason, err = nil, idxPanic, fmt.Errorf("batching: encoder panicked: %v", r)
		}
	}()
	payload, err = p.enc.Encode(ev)
	if err != nil {
		return nil, idxEncode, fmt.Errorf("batching: encode event %s: %w", ev.ID, err)
	}
	if p.maxSize > 0 && len(payload) > p.maxSize {
		return nil, idxOversize, fmt.Errorf("batching: event %s is %d bytes, sink accepts at most %d", ev.ID, len(payload), p.maxSize)
	}
	return payload, 0, nil
}

// memoryFull returns, in blocking mode, a channel to wait on before taking more events (closed when a
// batch settles), or nil when there is room. It reads the channel and the outstanding batches under one
// lock, so a batch settling meanwhile cannot be missed.
func (p *Processor) memoryFull() <-chan struct{} {
	if p.memoryInUse() <= p.cfg.memoryLimit {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.outstanding) == 0 {
		return nil // with nothing downstream, waiting would never end
	}
	return p.settled
}

var errMemoryLimit = errors.New("batching: memory limit reached")

// shed applies the memory policy: while the processor holds more than the limit, drop the oldest batch
// waiting for an exporter. Batches in flight are left alone; when nothing waits, intake refuses instead.
// It reports whether the processor is still over the limit.
func (p *Processor) shed() (over bool) {
	for p.memoryInUse() > p.cfg.memoryLimit {
		p.mu.Lock()
		if len(p.ready) == 0 {
			p.mu.Unlock()
			return true
		}
		b := p.ready[0]
		p.ready[0] = nil
		p.ready = p.ready[1:]
		p.waiting.Add(-b.mem) // unchanged since seal: only an exporter makes retry copies
		p.mu.Unlock()
		p.settle(b, b.events, idxMemoryLimit, fmt.Errorf("%w (%d bytes)", errMemoryLimit, p.cfg.memoryLimit))
		if p.hooks.onDrop == nil {
			// No exporter ever saw this batch and no hook holds its events, so its storage can serve the
			// next batch: a long outage then sheds without allocating (and without GC work on senders).
			p.recycle(b)
		}
	}
	return false
}

// reportIntakeDrops tells hooks and logs about drops counted on the logging goroutines since the last call.
func (p *Processor) reportIntakeDrops(last *[numReasons]uint64) {
	for _, r := range [...]reasonIndex{idxQueueFull, idxClosed, idxMemoryLimit} {
		now := p.ctr.intake[r].Load()
		delta := now - last[r]
		last[r] = now
		if delta == 0 {
			continue
		}
		p.logDrop(r, int(delta), nil, "at", "intake")
		p.hooks.drop(Drop{Reason: reasons[r], Count: int(delta)})
	}
}
