package batching

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core"
)

// batch is a sealed or building batch. Its events point into assigns and bandits, which are sized once so
// that appending never moves them.
type batch struct {
	id      string
	seq     uint64
	events  []Event
	assigns []core.AssignmentEvent
	bandits []core.BanditEvent
	bytes   int

	// mu guards remaining and done: the exporter and a Close that gave up may both try to settle events.
	mu        sync.Mutex
	remaining []Event // not yet delivered or dropped
	done      bool
	popped    bool // taken by an exporter: its events count as in flight
	swept     bool // settled by a Close that gave up; an Export may still be reading it
}

// runBatcher owns the building batch: it drains the queue, encodes, seals batches by count, bytes and linger,
// answers Flush requests and sheds the oldest batches under memory pressure.
func (p *Processor) runBatcher() {
	defer close(p.batcherDone)
	var cur *batch
	var idPool []string
	linger := time.NewTimer(p.cfg.linger)
	linger.Stop()
	var reported [numReasons]uint64
	scratch := new(Event)

	seal := func() {
		if cur != nil && len(cur.events) > 0 {
			p.seal(cur)
		}
		cur = nil
		linger.Stop()
	}
	start := func() {
		cur = p.newBatch()
		linger.Reset(p.cfg.linger)
	}
	add := func(it *item) {
		ev := Event{Kind: it.kind, Assignment: &it.a}
		if it.kind == KindBandit {
			ev.Assignment, ev.Bandit = nil, &it.b
		}
		if len(idPool) == 0 {
			idPool = p.ids.eventIDs(p.cfg.batchSize)
		}
		ev.ID, idPool = idPool[0], idPool[1:]
		size := int(it.size)
		if p.enc != nil {
			// Encoders see a reused heap copy, so that ev itself stays on the stack.
			*scratch = ev
			var ok bool
			if size, ok = p.encodeOrDrop(scratch, it.size); !ok {
				return
			}
			ev = *scratch
		}
		if cur == nil {
			start()
		} else if len(cur.events) > 0 && cur.bytes+size > p.cfg.batchBytes {
			// Send what fits; a lone event larger than the byte limit still goes, alone.
			seal()
			start()
		}
		cur.append(ev, size)
		if len(cur.events) >= p.cfg.batchSize || cur.bytes >= p.cfg.batchBytes {
			seal()
		}
	}
	drain := func() {
		n := 0
		for ; n < p.cfg.queueSize; n++ { // bounded, so flush, linger and stop requests are still served
			it := p.queue.front()
			if it == nil {
				break
			}
			add(it) // the batch copies the event out of the slot
			it.clear()
			p.queue.pop()
		}
		if n > 0 {
			p.queue.publishHead()
			p.dequeued.Add(uint64(n))
			p.signalRoom()
		}
	}

	// The batcher polls the queue instead of sleeping on it: waking a parked consumer on every send would
	// cost the logging goroutine more than the rest of its work. Senders kick it once per quarter queue.
	poll := time.NewTicker(min(pollInterval, p.cfg.linger))
	defer poll.Stop()
	for {
		var wait <-chan struct{}
		if p.cfg.blocking && p.memoryFull() {
			wait = p.settledChan() // back-pressure: stop taking events until memory frees
		} else {
			drain()
		}
		select {
		case <-poll.C:
			p.reportIntakeDrops(&reported)
		case <-linger.C:
			seal()
		case reply := <-p.flushes:
			drain()
			seal()
			reply <- p.ids.nextBatch
		case <-p.wake:
		case <-wait:
		case <-p.stop:
			// Close: take everything already accepted, including events whose sender is between its
			// counter and the queue, then seal the last batch.
			for !p.aborted.Load() {
				drain()
				if p.ctr.accepted.Load() == p.dequeued.Load()+p.intakeDropped.Load() {
					break
				}
				runtime.Gosched()
			}
			seal()
			p.reportIntakeDrops(&reported)
			p.mu.Lock()
			p.finished = true
			p.work.Broadcast()
			p.mu.Unlock()
			return
		}
		if !p.cfg.blocking {
			p.shed()
		}
	}
}

// pollInterval is how often an idle batcher looks at the queue (or the linger time, if shorter).
const pollInterval = 5 * time.Millisecond

// newBatch reuses the storage of a batch the exporters finished with, when there is one.
func (p *Processor) newBatch() *batch {
	select {
	case b := <-p.spare:
		return b
	default:
		return &batch{events: make([]Event, 0, p.cfg.batchSize)}
	}
}

// recycle offers a fully settled batch's storage for reuse. Only batches that no sink call can still read
// are recycled: never one that Close gave up on while its Export may still be running.
func (p *Processor) recycle(b *batch) {
	clear(b.events[:cap(b.events)])
	clear(b.assigns[:cap(b.assigns)])
	clear(b.bandits[:cap(b.bandits)])
	*b = batch{events: b.events[:0], assigns: b.assigns[:0], bandits: b.bandits[:0]}
	select {
	case p.spare <- b:
	default:
	}
}

// append copies ev's event into the batch's own storage, so the batch no longer points at the queue item.
func (b *batch) append(ev Event, size int) {
	switch ev.Kind {
	case KindAssignment:
		if b.assigns == nil {
			b.assigns = make([]core.AssignmentEvent, 0, cap(b.events))
		}
		b.assigns = append(b.assigns, *ev.Assignment)
		ev.Assignment = &b.assigns[len(b.assigns)-1]
	case KindBandit:
		if b.bandits == nil {
			b.bandits = make([]core.BanditEvent, 0, cap(b.events))
		}
		b.bandits = append(b.bandits, *ev.Bandit)
		ev.Bandit = &b.bandits[len(b.bandits)-1]
	}
	b.events = append(b.events, ev)
	b.bytes += size
}

// encodeOrDrop runs the sink's Encoder and returns the event's size for the byte limit.
// An event that cannot be encoded, is too large or makes the encoder panic is dropped alone.
func (p *Processor) encodeOrDrop(ev *Event, estimate int64) (int, bool) {
	payload, reason, err := p.encode(ev)
	if err != nil {
		p.dropLoose(ev, estimate, reason, err)
		return 0, false
	}
	ev.Payload = payload
	p.ctr.mem.Add(int64(len(payload)))
	return len(payload), true
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

// seal queues b for export.
func (p *Processor) seal(b *batch) {
	b.id, b.seq = p.ids.batchID()
	b.remaining = b.events
	p.mu.Lock()
	p.ready = append(p.ready, b)
	p.outstanding[b.seq] = b
	p.work.Signal()
	p.mu.Unlock()
}

func (p *Processor) memoryFull() bool {
	if p.ctr.mem.Load() <= p.cfg.memoryLimit {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.outstanding) > 0 // with nothing downstream, waiting would never end
}

// shed applies the default memory policy: drop the oldest waiting batches until usage is back under 7/8 of
// the limit. Batches in flight are left alone; if they alone fill the cap, intake refuses new events.
func (p *Processor) shed() {
	limit := p.cfg.memoryLimit
	if p.ctr.mem.Load() <= limit {
		return
	}
	for p.ctr.mem.Load() > limit-limit/8 {
		p.mu.Lock()
		if len(p.ready) == 0 {
			p.mu.Unlock()
			return
		}
		b := p.ready[0]
		p.ready[0] = nil
		p.ready = p.ready[1:]
		p.mu.Unlock()
		p.settle(b, b.events, idxMemoryLimit, fmt.Errorf("batching: memory limit of %d bytes reached", limit))
		p.recycle(b)
	}
}

// reportIntakeDrops tells hooks and logs about drops counted on the logging goroutines since the last call.
func (p *Processor) reportIntakeDrops(last *[numReasons]uint64) {
	for _, r := range [...]reasonIndex{idxQueueFull, idxClosed, idxMemoryLimit} {
		now := p.intakeDrops[r].Load()
		delta := now - last[r]
		last[r] = now
		if delta == 0 {
			continue
		}
		p.logs.warn(string(reasons[r]), "exposure events dropped at intake", int(delta), "reason", string(reasons[r]))
		p.runDropHook(Drop{Reason: reasons[r], Count: int(delta)})
	}
}
