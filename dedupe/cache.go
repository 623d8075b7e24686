package dedupe

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eppokit/eppokit/core"
)

// Kind tells an assignment from a bandit event; the two are separate key spaces inside one [Cache].
type Kind uint8

// Event kinds.
const (
	KindAssignment Kind = iota + 1
	KindBandit
)

// String returns "assignment" or "bandit".
func (k Kind) String() string {
	switch k {
	case KindAssignment:
		return "assignment"
	case KindBandit:
		return "bandit"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

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
	// Forgotten counts entries removed by [Cache.Forget] because their accepted event was later dropped.
	Forgotten uint64 `json:"forgotten"`
	// Entries is the number of keys held now; it never exceeds Capacity.
	Entries int `json:"entries"`
	// Capacity is the most keys the cache holds.
	Capacity int `json:"capacity"`
}

// Cache is a bounded, sharded, concurrency-safe exposure cache. Create it with [New]; the zero value is not
// usable. All methods may be called from many goroutines.
//
// Each shard is a lock plus a set-associative table: a key hashes to one bucket of up to seven
// entries, and a full bucket evicts one of its own entries with CLOCK (second chance). Entries are
// fingerprints, not the events' strings: a bucket is 128 bytes, about 18.3 bytes per entry (8 more with a
// TTL), and keeps no event alive. A hit is decided without the lock, from one atomic word; misses, changes
// and forgets take the shard lock.
type Cache struct {
	seed     maphash.Seed
	shift    uint // 64 - log2(len(shards))
	shards   []shard
	capacity int
	ttl      int64 // nanoseconds; 0 means no expiry
	now      func() time.Time
}

// bucketWays is the associativity, chosen so that a bucket is two cache lines: the fingerprints and CLOCK
// state that every call reads, and the key tags and generations that misses read.
const bucketWays = 7

type bucket struct {
	// fps holds, per way, a 64-bit fingerprint of the whole exposure (kind, flag, subject, v1, v2), or 0 when
	// the way is empty. One word carries key and value together, so a lock-free reader racing with an
	// eviction can never pair one key with another key's value. Two different exposures are confused only
	// if their fingerprints collide inside one bucket: about 7 in 2^64 per lookup.
	fps  [bucketWays]atomic.Uint64
	ref  atomic.Uint32 // CLOCK second-chance bits, one per way; hits set them without the lock
	hand uint8
	ways uint8
	_    [2]byte

	// Guarded by the shard lock.
	keys [bucketWays]uint32 // a tag of the key hash (kind, flag, subject); a tag collision only costs a duplicate
	gens [bucketWays]uint32 // bumped on every write, so a late rollback cannot undo a newer decision
	_    [8]byte
}

// shard groups its fields by who writes them, a full cache line apart so that no two groups can share a
// line whatever the shard's address: lock-free hits on one core must not invalidate the line other cores
// read on every call, nor the one misses lock.
type shard struct {
	// Written only by New; read by every call.
	buckets []bucket
	at      []atomic.Int64 // per way (bucket*bucketWays+way), when its event was logged; only with a TTL
	_       [cacheLine]byte

	// Written by every hit, without the lock.
	hits atomic.Uint64
	_    [cacheLine]byte

	// Guarded by mu.
	mu                                                          sync.Mutex
	held                                                        int
	misses, changes, expirations, evictions, refused, forgotten uint64
	_                                                           [cacheLine]byte // off the next shard's first line
}

const cacheLine = 64

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
	for i := range c.shards { // the first capacity%n shards take one more, so the split is exact
		per := capacity / n
		if i < capacity%n {
			per++
		}
		c.shards[i].init(per, c.ttl > 0)
	}
	return c
}

// init splits the shard's capacity exactly over buckets of at most bucketWays entries.
func (s *shard) init(capacity int, ttl bool) {
	nb := (capacity + bucketWays - 1) / bucketWays
	s.buckets = make([]bucket, nb)
	for j := range s.buckets {
		w := capacity / nb
		if j < capacity%nb {
			w++
		}
		s.buckets[j].ways = uint8(w)
	}
	if ttl {
		s.at = make([]atomic.Int64, nb*bucketWays)
	}
}

// Hashes: each string is hashed alone (no separator can be forged) and the results are combined with a
// 64×64→128-bit multiply.
func (c *Cache) keyHash(kind Kind, flag, subject string) uint64 {
	return mix(maphash.String(c.seed, flag)+uint64(kind), maphash.String(c.seed, subject))
}

func (c *Cache) fingerprint(key uint64, v1, v2 string) uint64 {
	fp := mix(key, mix(maphash.String(c.seed, v1), maphash.String(c.seed, v2)^0x9E3779B97F4A7C15))
	if fp == 0 {
		fp = 1 // 0 marks an empty way
	}
	return fp
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^0xa0761d6478bd642f, b^0xe7037ed1a0b428db)
	return hi ^ lo ^ b
}

// slot addresses one way of one bucket of one shard.
type slot struct {
	s   *shard
	b   *bucket
	idx int // bucket index in the shard
}

// locate returns the slot of a key: the shard from the hash's top bits, the bucket from its low 32 bits
// (multiply-shift, so bucket counts need not be powers of two).
func (c *Cache) locate(key uint64) slot {
	s := &c.shards[0]
	if c.shift < 64 {
		s = &c.shards[key>>c.shift]
	}
	j := int((key & 0xFFFFFFFF) * uint64(len(s.buckets)) >> 32)
	return slot{s: s, b: &s.buckets[j], idx: j}
}

// loggedAt returns when way w's event was logged (0 without a TTL).
func (l slot) loggedAt(w int) int64 {
	if l.s.at == nil {
		return 0
	}
	return l.s.at[l.idx*bucketWays+w].Load()
}

// keyTag is the part of the key hash kept per way; the bucket index already fixes the low bits.
func keyTag(key uint64) uint32 { return uint32(key >> 32) }

// reservation remembers what an admission overwrote so that a refused offer can put it back.
type reservation struct {
	way    int
	gen    uint32
	fp     uint64
	hadOld bool
	oldFP  uint64
	oldAt  int64
}

// Admit makes the dedupe decision for one event and, when the event must be logged, calls offer to pass it
// on. The key is marked before offer runs, so concurrent identical calls are suppressed and exactly one
// offer happens; if offer returns false or panics, the key is restored to its previous state (a refused event
// never poisons the cache) and the panic is propagated. No lock is held while offer runs. An event that offer
// accepted and that is lost later must be handed to [Cache.Forget].
//
// For assignments v1 and v2 are the allocation and variation keys; for bandits, the bandit key and action.
func (c *Cache) Admit(kind Kind, flag, subject, v1, v2 string, offer func() bool) Decision {
	key := c.keyHash(kind, flag, subject)
	fp := c.fingerprint(key, v1, v2)
	l := c.locate(key)
	var now int64
	if c.ttl > 0 {
		now = c.now().UnixNano()
	}
	if l.hit(fp, now, c.ttl) {
		l.s.hits.Add(1)
		return Suppressed
	}
	l.s.mu.Lock()
	d, r := l.reserve(c, key, fp, now)
	l.s.mu.Unlock()
	if d == Suppressed {
		l.s.hits.Add(1)
		return d
	}
	accepted := false
	defer func() {
		if !accepted {
			l.s.mu.Lock()
			l.rollback(r)
			l.s.mu.Unlock()
		}
	}()
	accepted = offer()
	if !accepted {
		return Refused
	}
	return d
}

// hit reports, without the lock, whether the bucket holds this exact exposure unexpired, and marks it
// referenced. It writes nothing when the entry is already marked, so hot keys do not bounce cache lines
// between cores.
func (l slot) hit(fp uint64, now, ttl int64) bool {
	b := l.b
	for w := range b.fps {
		if b.fps[w].Load() != fp {
			continue
		}
		if ttl > 0 && now-l.loggedAt(w) >= ttl {
			return false
		}
		if bit := uint32(1) << w; b.ref.Load()&bit == 0 {
			b.ref.Or(bit)
		}
		return true
	}
	return false
}

// find returns the way holding the key, or -1. The caller holds the shard lock.
func (b *bucket) find(key uint64) int {
	tag := keyTag(key)
	for w := range int(b.ways) {
		if b.keys[w] == tag && b.fps[w].Load() != 0 {
			return w
		}
	}
	return -1
}

// Suppress is the lock-free first half of [Cache.Admit]: it reports whether the exposure is marked and
// unexpired, counting a hit when it is, and changes nothing otherwise. A false answer decides nothing; the
// event must still go through Admit, which makes the atomic decision.
func (c *Cache) Suppress(kind Kind, flag, subject, v1, v2 string) bool {
	key := c.keyHash(kind, flag, subject)
	var now int64
	if c.ttl > 0 {
		now = c.now().UnixNano()
	}
	if l := c.locate(key); l.hit(c.fingerprint(key, v1, v2), now, c.ttl) {
		l.s.hits.Add(1)
		return true
	}
	return false
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
	l, w := c.lockExposure(kind, flag, subject, v1, v2)
	defer l.s.mu.Unlock()
	return w >= 0 && (c.ttl == 0 || c.now().UnixNano()-l.loggedAt(w) < c.ttl)
}

// Forget removes the entry of the key (kind, flag, subject) if it still holds the value (v1, v2), and
// reports whether it removed one. A caller that accepted an event (Admit returned LoggedNew or
// LoggedChanged) and later dropped it calls Forget, so the next identical exposure is logged again. An entry
// that meanwhile moved to another value is left alone: the newer decision stands. An expired entry holding
// the value is removed too.
func (c *Cache) Forget(kind Kind, flag, subject, v1, v2 string) bool {
	l, w := c.lockExposure(kind, flag, subject, v1, v2)
	defer l.s.mu.Unlock()
	if w < 0 {
		return false
	}
	l.clear(w)
	l.s.forgotten++
	return true
}

// lockExposure locks the exposure's shard and returns its slot and the way holding exactly this exposure,
// or -1. The caller unlocks.
func (c *Cache) lockExposure(kind Kind, flag, subject, v1, v2 string) (slot, int) {
	key := c.keyHash(kind, flag, subject)
	fp := c.fingerprint(key, v1, v2)
	l := c.locate(key)
	l.s.mu.Lock()
	for w := range int(l.b.ways) {
		if l.b.fps[w].Load() == fp {
			return l, w
		}
	}
	return l, -1
}

// ForgetAssignment is [Cache.Forget] for an assignment event.
func (c *Cache) ForgetAssignment(e *core.AssignmentEvent) bool {
	return c.Forget(KindAssignment, e.FeatureFlag, e.Subject, e.Allocation, e.Variation)
}

// ForgetBandit is [Cache.Forget] for a bandit event.
func (c *Cache) ForgetBandit(e *core.BanditEvent) bool {
	return c.Forget(KindBandit, e.FlagKey, e.Subject, e.BanditKey, e.Action)
}

// Len returns the number of keys held.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.held
		s.mu.Unlock()
	}
	return n
}

// Stats returns a snapshot of the counters, summed over shards.
func (c *Cache) Stats() Stats {
	st := Stats{Capacity: c.capacity}
	for i := range c.shards {
		s := &c.shards[i]
		st.Hits += s.hits.Load()
		s.mu.Lock()
		st.Misses += s.misses
		st.Changes += s.changes
		st.Expirations += s.expirations
		st.Evictions += s.evictions
		st.Refused += s.refused
		st.Forgotten += s.forgotten
		st.Entries += s.held
		s.mu.Unlock()
	}
	return st
}

// reserve decides under the shard lock and, unless suppressed, writes the new value at once.
func (l slot) reserve(c *Cache, key, fp uint64, now int64) (Decision, reservation) {
	s, b := l.s, l.b
	if w := b.find(key); w >= 0 {
		old := b.fps[w].Load()
		expired := c.ttl > 0 && now-l.loggedAt(w) >= c.ttl
		if !expired && old == fp {
			return Suppressed, reservation{} // logged by a concurrent call since the lock-free look
		}
		r := reservation{way: w, fp: fp, hadOld: true, oldFP: old, oldAt: l.loggedAt(w)}
		d := LoggedChanged
		if expired {
			s.expirations++
			s.misses++
			d = LoggedNew
		} else {
			s.changes++
		}
		r.gen = l.write(w, key, fp, now)
		return d, r
	}
	s.misses++
	w := l.victim()
	return LoggedNew, reservation{way: w, fp: fp, gen: l.write(w, key, fp, now)}
}

// write marks way w with the exposure. The fingerprint is stored last, so a lock-free reader that sees it
// also sees the timestamp.
func (l slot) write(w int, key, fp uint64, now int64) uint32 {
	b := l.b
	b.gens[w]++
	b.keys[w] = keyTag(key)
	if l.s.at != nil {
		l.s.at[l.idx*bucketWays+w].Store(now)
	}
	if bit := uint32(1) << w; b.ref.Load()&bit == 0 {
		b.ref.Or(bit)
	}
	b.fps[w].Store(fp)
	return b.gens[w]
}

// victim returns an empty way of the bucket, or evicts one with CLOCK. The caller holds the shard lock.
func (l slot) victim() int {
	b := l.b
	for w := range int(b.ways) {
		if b.fps[w].Load() == 0 {
			l.s.held++
			return w
		}
	}
	w, passed := clock(b.ref.Load(), int(b.hand), int(b.ways))
	b.ref.And(^passed)
	b.hand = uint8((w + 1) % int(b.ways))
	l.s.evictions++
	return w
}

// clock makes one CLOCK (second chance) decision on a snapshot of the reference bits: from the hand, it
// passes over referenced ways, whose bits the caller clears, and picks the first unreferenced one; when every
// way is referenced, one sweep has cleared them all and the way at the hand is picked, as a second sweep
// would. Working on a snapshot bounds it to one sweep even while lock-free hits keep setting bits; a bit set
// during the sweep is honoured at the next eviction, or lost, which costs at most an early eviction.
func clock(ref uint32, hand, ways int) (victim int, passed uint32) {
	for i := range ways {
		w := (hand + i) % ways
		bit := uint32(1) << w
		if ref&bit == 0 {
			return w, passed
		}
		passed |= bit
	}
	return hand, passed
}

// rollback undoes a reservation whose event was refused, unless a newer decision already overwrote the way.
func (l slot) rollback(r reservation) {
	s, b := l.s, l.b
	s.refused++
	if b.gens[r.way] != r.gen || b.fps[r.way].Load() != r.fp {
		return
	}
	if r.hadOld {
		b.gens[r.way]++
		if s.at != nil {
			s.at[l.idx*bucketWays+r.way].Store(r.oldAt)
		}
		b.fps[r.way].Store(r.oldFP)
		return
	}
	l.clear(r.way)
}

// clear empties way w. The generation moves on, so a pending rollback of the cleared value does nothing.
// The caller holds the shard lock.
func (l slot) clear(w int) {
	b := l.b
	b.gens[w]++
	b.fps[w].Store(0)
	b.ref.And(^(uint32(1) << w))
	l.s.held--
}
