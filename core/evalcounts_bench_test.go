package core

import (
	"crypto/md5"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// BenchmarkEvaluationCounter decides the counters' design. Two goroutines do about an assignment's work
// (two md5.Sum of 40 bytes, as the sharded benchmark flag needs) and count it, all on the same flag and
// variation: the worst case for one shared counter. "plain" adds to one atomic word (what the client
// did first); "striped" adds to one of 8 words, each on its own cache line, picked at random (what the
// client does: evalSlab.add).
func BenchmarkEvaluationCounter(b *testing.B) {
	work := func() byte {
		input := []byte("traffic-new-user-onboarding-experiment-1")
		s1 := md5.Sum(input)
		input[0] = s1[0]
		s2 := md5.Sum(input)
		return s2[0]
	}
	b.Run("none", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			var sink byte
			for pb.Next() {
				sink ^= work()
			}
			_ = sink
		})
	})
	b.Run("plain", func(b *testing.B) {
		var n atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			var sink byte
			for pb.Next() {
				sink ^= work()
				n.Add(1)
			}
			_ = sink
		})
	})
	b.Run("striped", func(b *testing.B) {
		const stripes = 8
		var n [stripes]struct {
			atomic.Uint64
			_ [56]byte
		}
		b.RunParallel(func(pb *testing.PB) {
			var sink byte
			for pb.Next() {
				sink ^= work()
				n[rand.Uint32()%stripes].Add(1)
			}
			_ = sink
		})
	})
}

// BenchmarkCountMatch is the counting the assignment path pays, alone (one goroutine).
func BenchmarkCountMatch(b *testing.B) {
	cfg := countsConfig(b, "v1")
	c := countsClient(b, cfg)
	sp := &cfg.flags["static"].allocations[0].splits[0]
	b.ReportAllocs()
	for b.Loop() {
		c.countMatch(cfg, sp)
	}
}
