package batching

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core"
	"github.com/eppokit/eppokit/dedupe"
)

// batch is a sealed batch. Its storage is sized to the events it holds, so a batch sealed by linger with
// one event costs one event's worth of memory, whatever the batch size.
type batch struct {
	id     string
	seq    uint64
	events []Event

	// mu guards the rest: the exporter, the memory policy and a Close that gave up may each try to settle
	// events.
	mu        sync.Mutex
	remaining []Event // not yet delivered or dropped
	mem       int64   // bytes counted in Processor.mem for this batch, released when it settles
	done      bool
	popped    bool // taken by an exporter: its events count as in flight
}

// builder is the batch being built; only the batcher touches it. Its slices grow with use up to the batch
// size and are kept between batches; their capacity is counted in Processor.mem.
type builder struct {
	items    []item
	ids      []string
	payloads [][]byte
	bytes    int   // for the byte limit: payload lengths, or estimates without an Encoder
	held     int64 // bytes the events point to (strings, maps, IDs, payloads), counted in Processor.mem
	storage  int64 // bytes of the three slices, by capacity, counted in Processor.mem
}

// runBatcher owns the batch being built: it takes queued events, encodes them, seals batches by count,
// bytes and linger, answers Flush requests and applies the memory policy. It sleeps until there is work:
// a sender wakes it when the queue stops being empty, and the linger timer runs only while a batch is open.
// It never runs user code other than the sink's Encoder; hooks run on their own goroutine.
func (p *Processor) runBatcher() {
	defer close(p.batcherDone)
	var bd builder
	var buf []item
	var idPool []string
	var lingerC <-chan time.Time
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	var reported [numReasons]uint64
	scratch := new(Event) // encoders see a reused heap copy

	seal := func() {
		if len(bd.items) > 0 {
			p.seal(&bd)
			if !p.cfg.blocking {
				p.shed() // a drain can seal many batches: keep to the cap after each
			}
		}
		linger.Stop()
		lingerC = nil
	}
	add := func(it *item) {
		p.mem.Add(-it.refs) // the intake's estimate; the builder counts the exact bytes below
		refs := itemRefs(it)
		if len(idPool) == 0 {
			idPool = p.ids.eventIDs(p.cfg.batchSize)
		}
		id := idPool[0]
		idPool = idPool[1:]
		size := int(refs)
		var payload []byte
		if p.enc != nil {
			*scratch = Event{ID: id, Kind: it.kind}
			if it.kind == dedupe.KindBandit {
				scratch.Bandit = &it.b
			} else {
				scratch.Assignment = &it.a
			}
			var ok bool
			if payload, ok = p.encodeOrDrop(scratch); !ok {
				return
			}
			size = len(payload)
		}
		if len(bd.items) > 0 && bd.bytes+size > p.cfg.batchBytes {
			seal() // send what fits; a lone event larger than the byte limit still goes, alone
		}
		if len(bd.items) == 0 {
			linger.Reset(p.cfg.linger)
			lingerC = linger.C
		}
		p.mem.Add(bd.add(it, id, payload, size, refs+int64(cap(payload)+len(id))))
		if len(bd.items) >= p.cfg.batchSize || bd.bytes >= p.cfg.batchBytes {
			seal()
		}
	}
	drain := func() {
		buf = p.take(buf)
		for i := range buf {
			add(&buf[i])
			buf[i] = item{} // the batch copied the event; drop the queue's references to its strings and maps
		}
	}

	for {
		p.loops.Add(1)
		var memWait <-chan struct{}
		if p.cfg.blocking && p.memoryFull() {
			memWait = p.settledChan() // back-pressure: take no events until memory frees
		} else {
			drain()
		}
		if !p.cfg.blocking {
			p.shed()
		}
		p.reportIntakeDrops(&reported)
		select {
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
			// Close set the queue closed before this, so this drain sees every accepted event.
			drain()
			seal()
			p.reportIntakeDrops(&reported)
			p.mem.Add(-bd.storage)
			p.q.mu.Lock()
			p.q.items = nil
			p.q.storage = 0
			p.q.mu.Unlock()
			p.mu.Lock()
			p.finished = true
			p.work.Broadcast()
			p.mu.Unlock()
			return
		}
	}
}

// add appends a copy of the item's event and returns by how many bytes the builder's storage grew.
func (bd *builder) add(it *item, id string, payload []byte, size int, held int64) int64 {
	before := bd.storage
	c1, c2, c3 := cap(bd.items), cap(bd.ids), cap(bd.payloads)
	bd.items = append(bd.items, *it)
	bd.ids = append(bd.ids, id)
	bd.payloads = append(bd.payloads, payload)
	bd.storage += int64(cap(bd.items)-c1)*itemSize + int64(cap(bd.ids)-c2)*stringSize +
		int64(cap(bd.payloads)-c3)*sliceSize
	bd.bytes += size
	bd.held += held
	return bd.storage - before + held
}

// seal copies the builder's events into storage of their exact size and queues the batch for export.
func (p *Processor) seal(bd *builder) {
	n, na := len(bd.items), 0
	for i := range bd.items {
		if bd.items[i].kind == dedupe.KindAssignment {
			na++
		}
	}
	b := &batch{events: make([]Event, n)}
	assigns := make([]core.AssignmentEvent, na)
	bandits := make([]core.BanditEvent, n-na)
	for i := range bd.items {
		it, ev := &bd.items[i], &b.events[i]
		ev.ID, ev.Kind, ev.Payload = bd.ids[i], it.kind, bd.payloads[i]
		if it.kind == dedupe.KindBandit {
			bandits[0] = it.b
			ev.Bandit, bandits = &bandits[0], bandits[1:]
		} else {
			assigns[0] = it.a
			ev.Assignment, assigns = &assigns[0], assigns[1:]
		}
	}
	b.mem = batchOverhead + int64(n)*eventSize + int64(na)*assignSize + int64(n-na)*banditSize + bd.held
	p.mem.Add(b.mem - bd.held) // the events' own bytes were already counted by the builder
	clear(bd.items)
	clear(bd.ids)
	clear(bd.payloads)
	bd.items, bd.ids, bd.payloads = bd.items[:0], bd.ids[:0], bd.payloads[:0]
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

// encodeOrDrop runs the sink's Encoder and returns the payload. An event that cannot be encoded, is too
// large or makes the encoder panic is dropped alone.
func (p *Processor) encodeOrDrop(ev *Event) ([]byte, bool) {
	payload, reason, err := p.encode(ev)
	if err != nil {
		p.ctr.dropped[reason].Add(1)
		p.ctr.setLastError(reason, err)
		p.forget(ev)
		p.logs.warn(string(reasons[reason]), "exposure event dropped", 1, "reason", string(reasons[reason]), "error", err.Error())
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

// memoryFull reports, in blocking mode, whether the batcher should wait for memory before taking events.
func (p *Processor) memoryFull() bool {
	if p.memoryInUse() <= p.cfg.memoryLimit {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.outstanding) > 0 // with nothing downstream, waiting would never end
}

var errMemoryLimit = errors.New("batching: memory limit reached")

// shed applies the memory policy: while the processor holds more than the limit, drop the oldest batch
// waiting for an exporter. Batches in flight are left alone; when nothing waits, intake refuses instead.
func (p *Processor) shed() {
	for p.memoryInUse() > p.cfg.memoryLimit {
		p.mu.Lock()
		if len(p.ready) == 0 {
			p.mu.Unlock()
			return
		}
		b := p.ready[0]
		p.ready[0] = nil
		p.ready = p.ready[1:]
		p.waiting.Add(-b.mem) // unchanged since seal: only an exporter makes retry copies
		p.mu.Unlock()
		p.settle(b, b.events, idxMemoryLimit, fmt.Errorf("%w (%d bytes)", errMemoryLimit, p.cfg.memoryLimit))
	}
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
		p.logs.warn(string(reasons[r]), "exposure events dropped at intake", int(delta), "reason", string(reasons[r]))
		p.hooks.drop(Drop{Reason: reasons[r], Count: int(delta)})
	}
}
