package dedupe

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The model is the documented semantics as a plain, unbounded map: a key is logged when absent, expired
// or holding another value, and suppressed otherwise; a refused event changes nothing; Forget removes a key
// only while it holds the forgotten value.
type modelKey struct {
	kind          Kind
	flag, subject string
}

type modelVal struct {
	v1, v2 string
	at     int64
}

type model struct {
	m   map[modelKey]modelVal
	ttl int64
}

func (m *model) decide(k modelKey, v1, v2 string, now int64) (d Decision, expired bool) {
	old, ok := m.m[k]
	switch {
	case !ok:
		return LoggedNew, false
	case m.ttl > 0 && now-old.at >= m.ttl:
		return LoggedNew, true
	case old.v1 == v1 && old.v2 == v2:
		return Suppressed, false
	}
	return LoggedChanged, false
}

// modelRun drives one random operation sequence through a Cache and the model.
type modelRun struct {
	t     *testing.T
	rng   *rand.Rand
	c     *Cache
	m     model
	now   atomic.Int64
	exact bool // capacity far above the key count: the cache must agree with the model everywhere
	want  Stats
	desc  string
}

const modelSubjects = 150

func newModelRun(t *testing.T, seed uint64, exact, ttl bool) *modelRun {
	r := &modelRun{t: t, rng: rand.New(rand.NewPCG(seed, 0x5eed)), exact: exact, m: model{m: map[modelKey]modelVal{}}}
	opts := Options{Capacity: 1 << 16, Now: func() time.Time { return time.Unix(0, r.now.Load()) }}
	if !exact {
		opts.Capacity = 1 + r.rng.IntN(modelSubjects/3) // far fewer entries than keys: constant eviction
		opts.Shards = 1 << r.rng.IntN(4)
	}
	if ttl {
		opts.TTL = time.Hour
		r.m.ttl = int64(time.Hour)
	}
	r.now.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	r.c = New(opts)
	r.desc = fmt.Sprintf("seed %d, exact %v, capacity %d, ttl %v", seed, exact, opts.Capacity, opts.TTL)
	return r
}

// exposure picks a key and a value; values come from a small set so that repeats and A→B→A changes are common.
func (r *modelRun) exposure() (modelKey, string, string) {
	k := modelKey{kind: KindAssignment, flag: "f" + fmt.Sprint(r.rng.IntN(2)), subject: fmt.Sprint("s", r.rng.IntN(modelSubjects))}
	if r.rng.IntN(4) == 0 {
		k.kind = KindBandit
	}
	return k, "alloc" + fmt.Sprint(r.rng.IntN(2)), []string{"A", "B", "C"}[r.rng.IntN(3)]
}

func (r *modelRun) fail(step int, format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s, step %d: %s", r.desc, step, fmt.Sprintf(format, args...))
}

// check compares a cache decision with the model's. Exact runs must agree; under capacity pressure the
// cache may have evicted the key, so it may log what the model would suppress (a duplicate) and see a
// change as new, but it must never suppress what the model logs, nor call a change what the model does not.
func (r *modelRun) check(step int, op string, got, want Decision) {
	r.t.Helper()
	ok := got == want
	if !r.exact {
		switch got {
		case Suppressed, LoggedChanged:
			ok = got == want
		case LoggedNew:
			ok = true
		}
	}
	if !ok {
		r.fail(step, "%s: cache decided %s, model %s", op, got, want)
	}
}

// count adds the model's view of one reservation to the expected counters (exact runs only).
func (r *modelRun) count(d Decision, expired bool) {
	switch d {
	case Suppressed:
		r.want.Hits++
	case LoggedNew:
		r.want.Misses++
		if expired {
			r.want.Expirations++
		}
	case LoggedChanged:
		r.want.Changes++
	}
}

func (r *modelRun) step(i int) {
	now := r.now.Load()
	k, v1, v2 := r.exposure()
	want, expired := r.m.decide(k, v1, v2, now)
	switch op := r.rng.IntN(20); {
	case op < 10: // admit, accepted
		got := r.c.Admit(k.kind, k.flag, k.subject, v1, v2, accept)
		r.check(i, "admit", got, want)
		if got.Logged() {
			r.m.m[k] = modelVal{v1, v2, now}
		}
		r.count(want, expired)
	case op < 12: // admit, refused downstream: nothing may change
		got := r.c.Admit(k.kind, k.flag, k.subject, v1, v2, func() bool { return false })
		// Refused whenever the model logs; a duplicate is suppressed, or refused if it was evicted.
		if want != Suppressed && got != Refused || want == Suppressed && got != Suppressed && (r.exact || got != Refused) {
			r.fail(i, "refused admit: cache decided %s, model %s", got, want)
		}
		if got == Refused {
			r.want.Refused++
		}
		r.count(want, expired)
	case op < 14: // the lock-free filter
		got := r.c.Suppress(k.kind, k.flag, k.subject, v1, v2)
		if got && want != Suppressed || r.exact && got != (want == Suppressed) {
			r.fail(i, "Suppress = %v, model decides %s", got, want)
		}
		if got {
			r.want.Hits++
		}
	case op < 16: // forget after a drop; half the time for the value the key holds now
		if old, ok := r.m.m[k]; ok && r.rng.IntN(2) == 0 {
			v1, v2 = old.v1, old.v2
		}
		old, ok := r.m.m[k]
		held := ok && old.v1 == v1 && old.v2 == v2
		got := r.c.Forget(k.kind, k.flag, k.subject, v1, v2)
		if got && !held || r.exact && got != held {
			r.fail(i, "Forget = %v, model holds the value: %v", got, held)
		}
		if held {
			delete(r.m.m, k)
		}
		if got {
			r.want.Forgotten++
		}
	case op < 17: // time passes: a quarter, a half or a whole TTL
		r.now.Add(int64(time.Hour) / int64(1+r.rng.IntN(4)))
	case op < 18: // a burst of identical concurrent admits: exactly one is logged when the model logs
		var offers atomic.Int32
		var start, wg sync.WaitGroup
		start.Add(1)
		decisions := make([]Decision, 8)
		for g := range decisions {
			wg.Go(func() {
				start.Wait()
				decisions[g] = r.c.Admit(k.kind, k.flag, k.subject, v1, v2, func() bool { offers.Add(1); return true })
			})
		}
		start.Done()
		wg.Wait()
		n := offers.Load()
		switch {
		case want != Suppressed && n != 1, want == Suppressed && r.exact && n != 0, n > 1:
			r.fail(i, "8 concurrent identical admits offered %d events, model decides %s", n, want)
		}
		for _, d := range decisions {
			if d.Logged() {
				r.check(i, "concurrent admit", d, want)
			} else if d != Suppressed {
				r.fail(i, "concurrent admit decided %s", d)
			}
		}
		if n == 1 {
			r.m.m[k] = modelVal{v1, v2, now}
		}
		r.count(want, expired)
		r.want.Hits += 7
	default: // A→B→A on one key
		for _, v := range []string{"A", "B", "A"} {
			now := r.now.Load()
			want, expired := r.m.decide(k, v1, v, now)
			got := r.c.Admit(k.kind, k.flag, k.subject, v1, v, accept)
			r.check(i, "A→B→A", got, want)
			if got.Logged() {
				r.m.m[k] = modelVal{v1, v, now}
			}
			r.count(want, expired)
		}
	}
	if n := r.c.Len(); n > r.c.capacity || r.exact && n != len(r.m.m) {
		r.fail(i, "cache holds %d entries, model %d, capacity %d", n, len(r.m.m), r.c.capacity)
	}
}

// TestCacheAgreesWithModel runs random sequences of admits, repeats, A→B→A changes, refusals, forgets,
// TTL expiry on a fake clock and concurrent identical admits against the cache and the map model (run with
// -race). With the capacity far above the key count and no eviction, they agree exactly, counters included;
// under capacity pressure the cache never suppresses what the model logs.
func TestCacheAgreesWithModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("base seed %d", seed)
	for i := range uint64(24) {
		exact, ttl := i%2 == 0, i%4 < 2
		r := newModelRun(t, seed+i, exact, ttl)
		for step := range 1500 {
			r.step(step)
		}
		st := r.c.Stats()
		if !exact {
			if st.Evictions == 0 {
				t.Fatalf("%s: no eviction under pressure; the run tested nothing", r.desc)
			}
			continue
		}
		if st.Evictions != 0 {
			t.Fatalf("%s: %d evictions with %d keys in %d capacity", r.desc, st.Evictions, 2*2*modelSubjects, r.c.capacity)
		}
		r.want.Capacity, r.want.Entries = st.Capacity, len(r.m.m)
		if st != r.want {
			t.Fatalf("%s: stats %+v, model counted %+v", r.desc, st, r.want)
		}
	}
}
