// Package dedupe suppresses repeated exposure events with a bounded, sharded, concurrent cache.
//
// An assignment is keyed by (flag, subject) and remembers (allocation, variation); a bandit action is keyed
// by (flag, subject) and remembers (bandit, action). An event is passed on when its key is new, when its value
// changed (A→B→A logs three times) or when its entry is older than the optional TTL; otherwise it is
// suppressed and counted as a hit.
//
// The check and the mark are one atomic step per key: N goroutines logging the same exposure at once pass on
// exactly one event. A key is marked only when the downstream logger accepted the event (see
// [AssignmentAcceptor]); a refused or panicking downstream leaves the key unmarked so that the next call logs
// again. The cache never holds a lock while the downstream logger runs.
//
// Memory is bounded by [Options.Capacity]. Each shard is a set-associative table: a key belongs to one bucket
// of up to seven entries, and a full bucket evicts one of them with a CLOCK (second chance) policy, so a miss
// costs no scan and no map maintenance. A repeated exposure is recognised without taking a lock.
//
// Entries are 64-bit fingerprints of the whole exposure, not its strings, so the cache keeps no event alive
// and costs a fixed ~18 bytes per entry. The price is stated plainly: a different exposure whose fingerprint
// equals one of the seven in its bucket would be suppressed, about 7 in 2^64 per lookup (for a billion
// exposures a day, once in several billion years). A collision between key tags only ever logs an extra
// duplicate.
package dedupe
