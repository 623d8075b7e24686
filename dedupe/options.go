package dedupe

import (
	"runtime"
	"time"
)

// Default settings used when an [Options] field is zero.
const (
	// DefaultCapacity is the number of keys kept when Options.Capacity is zero or negative.
	DefaultCapacity = 65536
	// maxShards bounds lock striping; more shards than this buys nothing on realistic core counts.
	maxShards = 256
)

// Options configures a [Cache]. The zero value is ready to use: every zero field takes its default.
type Options struct {
	// Capacity is the most keys the cache holds (assignment and bandit keys together). Zero or negative
	// means [DefaultCapacity]. The cache never holds more than Capacity entries. A key can only live in its
	// bucket of seven, so some keys are evicted (and later logged again) before the cache is full: with n
	// distinct keys, about 1.2 % of them when Capacity is 2n, 6 % when it is 4n/3 and 15 % when it is n.
	// Size it at about twice the keys you want remembered.
	Capacity int
	// TTL, when positive, makes an entry expire that long after its event was logged, so the same exposure
	// is logged again (for example once a day for day-partitioned tables). Zero or negative means never.
	TTL time.Duration
	// Shards is the number of independently locked shards, rounded up to a power of two. Zero or negative
	// picks 16 per CPU (at most 256). It is lowered so that every shard holds at least one key.
	Shards int
	// Now replaces time.Now for TTL decisions (tests use a fake clock). Nil means time.Now.
	Now func() time.Time
}

// shardCount resolves Options.Shards against the capacity.
func (o Options) shardCount(capacity int) int {
	want := o.Shards
	if want <= 0 {
		want = 16 * runtime.GOMAXPROCS(0)
	}
	want = min(want, maxShards, capacity)
	n := 1
	for n < want {
		n <<= 1
	}
	for n > capacity { // keep every shard non-empty so the capacity bound is exact
		n >>= 1
	}
	return n
}
