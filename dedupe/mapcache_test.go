package dedupe

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// mapCache is the plain design the set-associative Cache must beat to justify itself: shards of a mutex and a
// Go map from the key hash to the value fingerprint, every call under the shard lock, a full shard evicting
// the key in the next slot of a round-robin list of its keys (FIFO-like, O(1)). It hashes exactly like
// Cache, so the benchmarks compare only the table and its synchronisation.
type mapCache struct {
	c      *Cache // for its seed, hashing and shard count
	shards []mapShard
	ttl    int64
	now    func() time.Time
}

type mapEntry struct {
	fp  uint64
	at  int64
	gen uint32
	idx int32 // position in mapShard.keys
}

type mapShard struct {
	mu                    sync.Mutex
	m                     map[uint64]mapEntry
	keys                  []uint64 // every key held, for eviction
	hand                  int
	capacity              int
	gen                   uint32
	hits, misses, changes uint64
	evictions, refused    uint64
	_                     [64]byte
}

func newMapCache(opts Options) *mapCache {
	c := New(opts)
	mc := &mapCache{c: c, shards: make([]mapShard, len(c.shards)), ttl: c.ttl, now: c.now}
	for i := range mc.shards {
		per := c.capacity / len(c.shards)
		if i < c.capacity%len(c.shards) {
			per++
		}
		mc.shards[i].capacity = per
		mc.shards[i].m = make(map[uint64]mapEntry, per)
		mc.shards[i].keys = make([]uint64, 0, per)
	}
	return mc
}

func (mc *mapCache) Admit(kind Kind, flag, subject, v1, v2 string, offer func() bool) Decision {
	key := mc.c.keyHash(kind, flag, subject)
	fp := mc.c.fingerprint(key, v1, v2)
	s := &mc.shards[0]
	if mc.c.shift < 64 {
		s = &mc.shards[key>>mc.c.shift]
	}
	var now int64
	if mc.ttl > 0 {
		now = mc.now().UnixNano()
	}
	s.mu.Lock()
	old, had := s.m[key]
	expired := had && mc.ttl > 0 && now-old.at >= mc.ttl
	if had && !expired && old.fp == fp {
		s.hits++
		s.mu.Unlock()
		return Suppressed
	}
	d := LoggedNew
	s.gen++
	gen := s.gen
	e := mapEntry{fp: fp, at: now, gen: gen, idx: old.idx}
	switch {
	case had && !expired:
		d = LoggedChanged
		s.changes++
	case had:
		s.misses++
	case len(s.keys) < s.capacity:
		s.misses++
		e.idx = int32(len(s.keys))
		s.keys = append(s.keys, key)
	default:
		s.misses++
		s.evictions++
		s.hand = (s.hand + 1) % len(s.keys)
		delete(s.m, s.keys[s.hand])
		s.keys[s.hand] = key
		e.idx = int32(s.hand)
	}
	s.m[key] = e
	s.mu.Unlock()
	accepted := false
	defer func() {
		if accepted {
			return
		}
		s.mu.Lock()
		s.refused++
		if e, ok := s.m[key]; ok && e.gen == gen {
			if had {
				old.idx = e.idx
				s.m[key] = old
			} else {
				s.remove(key, e.idx)
			}
		}
		s.mu.Unlock()
	}()
	accepted = offer()
	if !accepted {
		return Refused
	}
	return d
}

// remove deletes key, held at keys[idx], keeping keys dense.
func (s *mapShard) remove(key uint64, idx int32) {
	delete(s.m, key)
	last := len(s.keys) - 1
	if int(idx) != last {
		moved := s.keys[last]
		s.keys[idx] = moved
		e := s.m[moved]
		e.idx = idx
		s.m[moved] = e
	}
	s.keys = s.keys[:last]
}

// TestMapCacheAgrees keeps the benchmark honest: the map cache makes the same decisions as Cache on a
// sequence without eviction.
func TestMapCacheAgrees(t *testing.T) {
	c, mc := New(Options{}), newMapCache(Options{})
	for i := range 3000 {
		s, v := fmt.Sprint("s", i%97), fmt.Sprint("v", i%5/3)
		if a, b := c.Admit(KindAssignment, "f", s, "a", v, accept), mc.Admit(KindAssignment, "f", s, "a", v, accept); a != b {
			t.Fatalf("step %d: Cache %s, map cache %s", i, a, b)
		}
	}
}

func BenchmarkMapCacheHit(b *testing.B)  { benchHit(b, newMapCache(Options{})) }
func BenchmarkMapCacheMiss(b *testing.B) { benchMiss(b, newMapCache(Options{})) }
func BenchmarkMapCacheHitParallel(b *testing.B) {
	benchHitParallel(b, newMapCache(Options{}))
}
