// Package dedupe suppresses repeated exposure events with a bounded, sharded, concurrent cache.
//
// An assignment is keyed by (flag, subject) and remembers (allocation, variation); a bandit action is keyed
// by (flag, subject) and remembers (bandit, action). An event is passed on when its key is new, when its value
// changed (A→B→A logs three times) or when its entry is older than the optional TTL; otherwise it is
// suppressed and counted as a hit.
//
// # Marked only while delivered
//
// The check and the mark are one atomic step per key: N goroutines logging the same exposure at once pass on
// exactly one event. [Cache.Admit] marks the key, then offers the event downstream without holding a lock; if
// the downstream refuses it (returns false) or panics, the key is put back as it was, so the next identical
// exposure is offered again.
//
// When an accepted event is dropped for any reason, its exposure key is removed from the cache only if it
// still holds that variation (for a bandit event, that bandit and action), so the next identical exposure is
// logged again: [Cache.Forget]. If the key has meanwhile moved to another value, it is left alone. If the key
// went A→B→A and the first A event is dropped, the entry for the second A is removed too, which costs at most
// one extra duplicate, never a lost exposure.
//
// A pipeline in front of a queue uses the cache in three steps, as batching.WithDedupe does:
//
//  1. [Cache.Suppress] before building the event: a lock-free, read-only look that answers true only for a
//     known duplicate (a false answer decides nothing);
//  2. [Cache.Admit] (or [Cache.AdmitAssignment], [Cache.AdmitBandit]) with an offer that enqueues the event
//     and reports whether the queue took it;
//  3. [Cache.Forget] (or [Cache.ForgetAssignment], [Cache.ForgetBandit]) for every accepted event that is
//     later dropped: retries exhausted, rejected by the sink, shut down, over a memory limit.
//
// The standalone wrappers [AssignmentLogger] and [BanditLogger] follow steps 1 and 2 with the wrapped logger
// as the downstream: an event that next refuses (its TryLogAssignment or TryLogBanditAction returns false)
// or panics on is never marked. They cannot see what next does with an event after accepting it, so they
// never forget on their own; when next can lose an accepted event later, call the wrapper's
// Cache().ForgetAssignment or ForgetBandit when it does (for example from its drop hook), or use
// batching.WithDedupe, which does it for every drop.
//
// # Memory and accuracy
//
// Memory is bounded by [Options.Capacity]. Each shard is a set-associative table: a key belongs to one bucket
// of up to seven entries, and a full bucket evicts one of them with a CLOCK (second chance) policy, each
// eviction one sweep of the bucket at most, so a miss costs no scan and no map maintenance. A repeated
// exposure is recognised without taking a lock. While nothing has been evicted (Stats.Evictions is zero), the
// cache decides exactly like an unbounded map (the collisions below aside); after evictions it may log a duplicate again, never suppress
// a new or changed exposure.
//
// Entries are 64-bit fingerprints of the whole exposure, not its strings, so the cache keeps no event alive.
// A bucket is two cache lines, 128 bytes for seven entries: about 18.3 bytes per entry, plus 8 with a TTL.
// The price is stated plainly: a different exposure whose fingerprint equals one of the seven in its bucket
// would be suppressed, about 7 in 2^64 per lookup (for a billion exposures a day, once in several billion
// years). A collision between key tags only ever logs an extra duplicate.
//
// # Why not a map
//
// The plain design, shards of a mutex and a Go map from key hash to value fingerprint with the same hashing
// and an O(1) round-robin eviction, is kept as a benchmark twin in the package tests (BenchmarkMapCache*
// beside BenchmarkDedupe*). On a 2-core machine, in CPU nanoseconds per operation (medians of 7 to 15
// alternating runs; a parallel hit counts the time of both cores):
//
//	                      set-associative   mutex + map
//	hit                              38            54
//	miss, evicting                  108           304
//	parallel hit, 64 keys            49            65
//
// So the set-associative table stays. If a change brings the map twin within noise of it, switch to the map.
package dedupe
