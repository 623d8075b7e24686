package batching

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// idSource hands out event and batch IDs: a random per-processor prefix plus a counter, so IDs are unique
// across processes and restarts without coordination. Used only by the batcher goroutine.
type idSource struct {
	prefix    string
	nextEvent uint64
	nextBatch uint64
}

const (
	prefixLen  = 16 // hex digits of randomness
	counterLen = 16 // hex digits of the counter
	eventIDLen = prefixLen + 1 + counterLen
)

func newIDSource() idSource {
	var b [prefixLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return idSource{prefix: hex.EncodeToString(b[:])}
}

// eventIDs returns n fixed-width event IDs cut from one string: one allocation per batch, not per event.
func (s *idSource) eventIDs(n int) []string {
	var sb strings.Builder
	sb.Grow(n * eventIDLen)
	var digits [counterLen]byte
	for range n {
		sb.WriteString(s.prefix)
		sb.WriteByte('-')
		sb.Write(appendHex16(digits[:0], s.nextEvent))
		s.nextEvent++
	}
	all := sb.String()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = all[i*eventIDLen : (i+1)*eventIDLen]
	}
	return ids
}

func (s *idSource) batchID() (string, uint64) {
	s.nextBatch++
	return s.prefix + "-b" + strconv.FormatUint(s.nextBatch, 10), s.nextBatch
}

func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}
