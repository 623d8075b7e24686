package dedupe

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// admitter is *Cache or its map twin, so that both designs run the same benchmark bodies. An interface
// call passes the arguments as a direct call does; a method value would add a wrapper frame to every call.
type admitter interface {
	Admit(kind Kind, flag, subject, v1, v2 string, offer func() bool) Decision
}

func BenchmarkDedupeHit(b *testing.B) { benchHit(b, New(Options{})) }

// BenchmarkDedupeMiss cycles through twice the default capacity of distinct subjects, so every call is a
// miss and, once the cache is full, an eviction: the steady state of a busy server.
func BenchmarkDedupeMiss(b *testing.B) { benchMiss(b, New(Options{})) }

func BenchmarkDedupeHitParallel(b *testing.B) { benchHitParallel(b, New(Options{})) }

// BenchmarkDedupeHitParallelHotKey has every goroutine suppress the same exposure: the worst case for any
// counter or line the hits share.
func BenchmarkDedupeHitParallelHotKey(b *testing.B) {
	c := New(Options{})
	c.Admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
		}
	})
}

func benchHit(b *testing.B, c admitter) {
	c.Admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	b.ReportAllocs()
	for b.Loop() {
		c.Admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	}
}

func benchMiss(b *testing.B, c admitter) {
	const n = 2 * DefaultCapacity
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = fmt.Sprint("subject-", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Admit(KindAssignment, "flag", subjects[i%n], "alloc", "variant", accept)
	}
}

func benchHitParallel(b *testing.B, c admitter) {
	subjects := make([]string, 64)
	for i := range subjects {
		subjects[i] = fmt.Sprint("subject-", i)
		c.Admit(KindAssignment, "flag", subjects[i], "alloc", "variant", accept)
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		for pb.Next() {
			c.Admit(KindAssignment, "flag", subjects[i&63], "alloc", "variant", accept)
			i++
		}
	})
}
