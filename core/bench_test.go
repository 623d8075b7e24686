package core

import (
	"crypto/md5"
	"fmt"
	"testing"
)

// experimentSubject finds a subject that new-user-onboarding assigns through its sharded "experiment"
// allocation, so the benchmark pays for rules and shards, not an early rule match.
func experimentSubject(b *testing.B, c *Client, attrs Attributes) string {
	b.Helper()
	for i := 0; i < 1000; i++ {
		subject := fmt.Sprintf("user-%d", i)
		_, d, err := c.GetStringAssignmentDetails("new-user-onboarding", subject, attrs, "default")
		if err == nil && d.MatchedAllocation != nil && d.MatchedAllocation.Key == "experiment" {
			return subject
		}
	}
	b.Fatal("no subject reaches the experiment allocation")
	return ""
}

func benchAttributes() Attributes {
	return Attributes{"country": "France", "email": "someone@example.org", "age": 31}
}

// BenchmarkMD5Baseline is the yardstick for assignment cost: one md5.Sum of a 40-byte string.
func BenchmarkMD5Baseline(b *testing.B) {
	input := []byte("traffic-new-user-onboarding-experiment-1") // 40 bytes
	b.ReportAllocs()
	var sink byte
	for b.Loop() {
		sum := md5.Sum(input)
		sink ^= sum[0]
	}
	_ = sink
}

func BenchmarkGetStringAssignment(b *testing.B) { benchmarkAssignment(b, nil) }

// benchmarkAssignment measures GetStringAssignment on the sharded allocation, with logger if non-nil.
func benchmarkAssignment(b *testing.B, logger AssignmentLogger) {
	c := loadClient(b, "flags-v1.json", "")
	c.assignLogger = logger
	attrs := benchAttributes()
	subject := experimentSubject(b, c, attrs)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetStringAssignment("new-user-onboarding", subject, attrs, "default"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetStringAssignmentParallel(b *testing.B) {
	c := loadClient(b, "flags-v1.json", "")
	attrs := benchAttributes()
	subject := experimentSubject(b, c, attrs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetStringAssignment("new-user-onboarding", subject, attrs, "default"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// discardLogger is the cheapest possible logger: it shows what building the event costs.
type discardLogger struct{}

func (discardLogger) LogAssignment(AssignmentEvent) {}
func (discardLogger) LogBanditAction(BanditEvent)   {}

func BenchmarkGetStringAssignmentWithLogger(b *testing.B) { benchmarkAssignment(b, discardLogger{}) }

func BenchmarkNewConfiguration(b *testing.B) {
	data := readFile(b, ufcDir(b)+"/flags-v1.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewConfiguration(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}
