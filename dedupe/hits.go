package dedupe

import (
	"sync/atomic"
	"unsafe"
)

// hitStripes is the number of hit counters.
const (
	hitStripeBits = 6
	hitStripes    = 1 << hitStripeBits
)

// hitCounter counts hits in padded stripes so that goroutines on different cores suppressing the same hot
// keys do not write one shared cache line: that bouncing, not the lookup, is what made parallel hits slow.
// Go exposes no processor id, so a goroutine picks its stripe from its stack address (goroutines have
// distinct stacks); two goroutines sharing a stripe is only slower, never wrong.
//
// Stripes are two cache lines apart: nothing aligns the array to a line, and two lines of distance keep every
// counter word on a line of its own whatever the start address.
type hitCounter struct {
	_       [cacheLine]byte // off the line of the fields every call reads
	stripes [hitStripes]struct {
		n atomic.Uint64
		_ [2*cacheLine - 8]byte
	}
}

const cacheLine = 64

func (h *hitCounter) add() {
	var probe byte
	addr := uint64(uintptr(unsafe.Pointer(&probe))) >> 11 // goroutine stacks start at 2 KiB
	h.stripes[(addr*0x9E3779B97F4A7C15)>>(64-hitStripeBits)].n.Add(1)
}

func (h *hitCounter) sum() uint64 {
	var n uint64
	for i := range h.stripes {
		n += h.stripes[i].n.Load()
	}
	return n
}
