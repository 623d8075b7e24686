// Package shard implements Eppo's deterministic MD5 sharding: the first four bytes of MD5 over the
// dash-joined inputs, read big-endian, modulo the number of shards. Flags shard "salt-subjectKey"; bandits
// shard "flagKey-subjectKey-actionKey" and "flagKey-subjectKey" over 10,000 shards.
package shard

import (
	"crypto/md5"
	"encoding/binary"
	"hash"
)

// stackBytes is the input length hashed without allocating; longer inputs stream through a digest.
const stackBytes = 256

// Of returns the shard of the parts joined with "-", in [0, total). total must be positive.
func Of(total uint32, parts ...string) uint32 {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	var sum [md5.Size]byte
	if n <= stackBytes {
		var buf [stackBytes]byte
		b := buf[:0]
		for i, p := range parts {
			if i > 0 {
				b = append(b, '-')
			}
			b = append(b, p...)
		}
		sum = md5.Sum(b)
	} else {
		sum = sumLong(md5.New(), parts)
	}
	return binary.BigEndian.Uint32(sum[:4]) % total
}

func sumLong(h hash.Hash, parts []string) [md5.Size]byte {
	var sum [md5.Size]byte
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{'-'})
		}
		h.Write([]byte(p))
	}
	h.Sum(sum[:0])
	return sum
}
