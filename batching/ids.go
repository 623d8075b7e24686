package batching

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
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
	buf := make([]byte, 0, n*eventIDLen)
	for range n {
		buf = append(buf, s.prefix...)
		buf = append(buf, '-')
		buf = appendHex16(buf, s.nextEvent)
		s.nextEvent++
	}
	all := string(buf)
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
