package dedupe

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/eppokit/eppokit/core"
)

// Kind separates the assignment and bandit key spaces inside one [Cache].
type Kind uint8

// Key spaces.
const (
	KindAssignment Kind = iota + 1
	KindBandit
)

// Decision is the outcome of [Cache.Admit].
type Decision uint8

// Decisions.
const (
	// Suppressed: the same value was logged for this key and has not expired; offer was not called.
	Suppressed Decision = iota + 1
	// LoggedNew: the key was absent (or expired); offer accepted the event and the key is now marked.
	LoggedNew
	// LoggedChanged: the key held another value; offer accepted the event and the new value is marked.
	LoggedChanged
	// Refused: offer returned false or panicked; the cache was left as it was before the call.
	Refused
)

// String returns a readable name for d.
func (d Decision) String() string {
	switch d {
	case Suppressed:
		return "suppressed"
	case LoggedNew:
		return "logged_new"
	case LoggedChanged:
		return "logged_changed"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Logged reports whether the event was passed on and accepted.
func (d Decision) Logged() bool { return d == LoggedNew || d == LoggedChanged }

// Stats is a snapshot of a cache's counters. Counters only grow.
type Stats struct {
	// Hits counts suppressed events.
	Hits uint64 `json:"hits"`
	// Misses counts events whose key was absent or expired.
	Misses uint64 `json:"misses"`
	// Changes counts events whose key held another value.
	Changes uint64 `json:"changes"`
	// Expirations counts misses caused by the TTL (included in Misses).
	Expirations uint64 `json:"expirations"`
	// Evictions counts entries removed to stay within the capacity.
	Evictions uint64 `json:"evictions"`
	// Refused counts misses and changes whose event the downstream did not accept (the key was restored).
	Refused uint64 `json:"refused"`
	// Entries is the number of keys held now; it never exceeds Capacity.
	Entries int `json:"entries"`
	// Capacity is the most keys the cache holds.
	Capacity int `json:"capacity"`
}

// Cache is a bounded, sharded, concurrency-safe exposure cache. Create it with [New]; the zero value is not
// usable. All methods may be called from many goroutines.
type Cache struct {
	seed     maphash.Seed
	shift    uint // 64 - log2(len(shards))
	shards   []shard
	capacity int
	ttl      int64 // nanoseconds; 0 means no expiry
	now      func() time.Time
}

// entry is one remembered exposure. Strings are shared with the event, never copied.
type entry struct {
	flag, subject string
	v1, v2        string
	hash          uint64
	loggedAt      int64  // unix nanoseconds, kept only when a TTL is set
	gen           uint32 // bumped on every write, so a late rollback cannot undo a newer decision
	kind          Kind
	ref           bool // CLOCK second-chance bit
	used          bool
}

type shard struct {
	mu    sync.Mutex
	index map[uint64]int32
	slots []entry
	free  []int32
	hand  int
	limit int

	hits, misses, changes, expirations, evictions, refused uint64
	_                                                      [40]byte // keep neighbouring shards' locks off this cache line
}

// New returns an empty cache configured by opts.
func New(opts Options) *Cache {
	capacity := opts.Capacity
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	n := opts.shardCount(capacity)
	c := &Cache{
		seed:     maphash.MakeSeed(),
		shards:   make([]shard, n),
		capacity: capacity,
		now:      opts.Now,
	}
	if opts.TTL > 0 {
		c.ttl = int64(opts.TTL)
	}
	if c.now == nil {
		c.now = time.Now
	}
	bits := uint(0)
	for 1<<bits < n {
		bits++
	}
	c.shift = 64 - bits
	per := capacity / n
	for i := range c.shards {
		c.shards[i].limit = per
		c.shards[i].index = make(map[uint64]int32, min(per, 64))
	}
	return c
}

// hashKey mixes both strings and the key space; collisions are resolved by comparing the stored strings.
func (c *Cache) hashKey(kind Kind, flag, subject string) uint64 {
	h := maphash.String(c.seed, flag)
	h = (h ^ uint64(kind)) * 0x9E3779B97F4A7C15
	return h ^ maphash.String(c.seed, subject)
}

func (c *Cache) shardFor(h uint64) *shard {
	if c.shift == 64 {
		return &c.shards[0]
	}
	return &c.shards[h>>c.shift]
}

// reservation remembers what an admission overwrote so that a refused offer can put it back.
type reservation struct {
	slot   int32
	gen    uint32
	hadOld bool
	old    entry
}

// Admit makes the dedupe decision for one event and, when the event must be logged, calls offer to pass it
// on. The key is marked before offer runs, so concurrent identical calls are suppressed and exactly one
// offer happens; if offer returns false or panics, the key is restored to its previous state (a refused event
// never poisons the cache) and the panic is propagated. No lock is held while offer runs.
//
// For assignments v1 and v2 are the allocation and variation keys; for bandits, the bandit key and action.
func (c *Cache) Admit(kind Kind, flag, subject, v1, v2 string, offer func() bool) Decision {
	h := c.hashKey(kind, flag, subject)
	s := c.shardFor(h)
	var now int64
	if c.ttl > 0 {
		now = c.now().UnixNano()
	}
	s.mu.Lock()
	d, r := s.reserve(c, h, kind, flag, subject, v1, v2, now)
	s.mu.Unlock()
	if d == Suppressed {
		return d
	}
	accepted := false
	defer func() {
		if !accepted {
			s.mu.Lock()
			s.rollback(h, r)
			s.mu.Unlock()
		}
	}()
	accepted = offer()
	if !accepted {
		return Refused
	}
	return d
}

// AdmitAssignment is [Cache.Admit] for an assignment event.
func (c *Cache) AdmitAssignment(e *core.AssignmentEvent, offer func() bool) Decision {
	return c.Admit(KindAssignment, e.FeatureFlag, e.Subject, e.Allocation, e.Variation, offer)
}

// AdmitBandit is [Cache.Admit] for a bandit event.
func (c *Cache) AdmitBandit(e *core.BanditEvent, offer func() bool) Decision {
	return c.Admit(KindBandit, e.FlagKey, e.Subject, e.BanditKey, e.Action, offer)
}

// Seen reports whether the exposure is currently marked (and not expired) without changing anything.
func (c *Cache) Seen(kind Kind, flag, subject, v1, v2 string) bool {
	h := c.hashKey(kind, flag, subject)
	s := c.shardFor(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[h]
	if !ok {
		return false
	}
	e := &s.slots[i]
	if e.kind != kind || e.flag != flag || e.subject != subject || e.v1 != v1 || e.v2 != v2 {
		return false
	}
	return c.ttl == 0 || c.now().UnixNano()-e.loggedAt < c.ttl
}

// Len returns the number of keys held.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}

// Stats returns a snapshot of the counters, summed over shards.
func (c *Cache) Stats() Stats {
	st := Stats{Capacity: c.capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Hits += s.hits
		st.Misses += s.misses
		st.Changes += s.changes
		st.Expirations += s.expirations
		st.Evictions += s.evictions
		st.Refused += s.refused
		st.Entries += len(s.index)
		s.mu.Unlock()
	}
	return st
}

// reserve decides under the shard lock and, unless suppressed, writes the new value at once.
func (s *shard) reserve(c *Cache, h uint64, kind Kind, flag, subject, v1, v2 string, now int64) (Decision, reservation) {
	if i, ok := s.index[h]; ok {
		e := &s.slots[i]
		if e.kind == kind && e.flag == flag && e.subject == subject {
			expired := c.ttl > 0 && now-e.loggedAt >= c.ttl
			if !expired && e.v1 == v1 && e.v2 == v2 {
				s.hits++
				e.ref = true
				return Suppressed, reservation{}
			}
			r := reservation{slot: i, hadOld: true, old: *e}
			d := LoggedChanged
			if expired {
				s.expirations++
				s.misses++
				d = LoggedNew
			} else {
				s.changes++
			}
			e.v1, e.v2, e.loggedAt, e.ref = v1, v2, now, true
			e.gen++
			r.gen = e.gen
			return d, r
		}
		// A 64-bit hash collision between different keys: the newcomer takes the slot. The old key may be
		// logged once more later, a duplicate rather than a loss.
		r := reservation{slot: i, hadOld: true, old: *e}
		s.misses++
		s.write(i, h, kind, flag, subject, v1, v2, now)
		r.gen = s.slots[i].gen
		return LoggedNew, r
	}
	s.misses++
	i := s.alloc()
	s.index[h] = i
	s.write(i, h, kind, flag, subject, v1, v2, now)
	return LoggedNew, reservation{slot: i, gen: s.slots[i].gen}
}

func (s *shard) write(i int32, h uint64, kind Kind, flag, subject, v1, v2 string, now int64) {
	e := &s.slots[i]
	gen := e.gen + 1
	*e = entry{flag: flag, subject: subject, v1: v1, v2: v2, hash: h, loggedAt: now, gen: gen, kind: kind, ref: true, used: true}
}

// alloc returns a free slot, evicting with CLOCK when the shard is full.
func (s *shard) alloc() int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if len(s.slots) < s.limit {
		s.slots = append(s.slots, entry{})
		return int32(len(s.slots) - 1)
	}
	for {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		e := &s.slots[s.hand]
		i := int32(s.hand)
		s.hand++
		if e.ref {
			e.ref = false
			continue
		}
		delete(s.index, e.hash)
		e.used = false
		s.evictions++
		return i
	}
}

// rollback undoes a reservation whose event was refused, unless a newer decision already overwrote the slot.
func (s *shard) rollback(h uint64, r reservation) {
	s.refused++
	e := &s.slots[r.slot]
	if !e.used || e.gen != r.gen || e.hash != h {
		return
	}
	if r.hadOld {
		gen := e.gen + 1
		*e = r.old
		e.gen = gen
		return
	}
	delete(s.index, h)
	gen := e.gen + 1
	*e = entry{gen: gen}
	s.free = append(s.free, r.slot)
}
