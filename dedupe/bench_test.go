package dedupe

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// admitFunc is Cache.Admit or the map twin's, so that both designs run the same benchmark bodies.
type admitFunc func(kind Kind, flag, subject, v1, v2 string, offer func() bool) Decision

func BenchmarkDedupeHit(b *testing.B) { benchHit(b, New(Options{}).Admit) }

// BenchmarkDedupeMiss cycles through twice the default capacity of distinct subjects, so every call is a
// miss and, once the cache is full, an eviction: the steady state of a busy server.
func BenchmarkDedupeMiss(b *testing.B) { benchMiss(b, New(Options{}).Admit) }

func BenchmarkDedupeHitParallel(b *testing.B) { benchHitParallel(b, New(Options{}).Admit) }

// BenchmarkDedupeHitParallelHotKey has every goroutine suppress the same exposure: the worst case for any
// counter or line the hits share.
func BenchmarkDedupeHitParallelHotKey(b *testing.B) {
	admit := New(Options{}).Admit
	admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
		}
	})
}

func benchHit(b *testing.B, admit admitFunc) {
	admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	b.ReportAllocs()
	for b.Loop() {
		admit(KindAssignment, "flag", "subject", "alloc", "variant", accept)
	}
}

func benchMiss(b *testing.B, admit admitFunc) {
	const n = 2 * DefaultCapacity
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = fmt.Sprint("subject-", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		admit(KindAssignment, "flag", subjects[i%n], "alloc", "variant", accept)
	}
}

func benchHitParallel(b *testing.B, admit admitFunc) {
	subjects := make([]string, 64)
	for i := range subjects {
		subjects[i] = fmt.Sprint("subject-", i)
		admit(KindAssignment, "flag", subjects[i], "alloc", "variant", accept)
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		for pb.Next() {
			admit(KindAssignment, "flag", subjects[i&63], "alloc", "variant", accept)
			i++
		}
	})
}
