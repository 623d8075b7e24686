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
type hitCounter struct {
	stripes [hitStripes]struct {
		n atomic.Uint64
		_ [56]byte
	}
}

func (h *hitCounter) add() {
	var probe byte
	addr := uint64(uintptr(unsafe.Pointer(&probe))) >> 13 // stacks start at 8 KiB
	h.stripes[(addr*0x9E3779B97F4A7C15)>>(64-hitStripeBits)].n.Add(1)
}

func (h *hitCounter) sum() uint64 {
	var n uint64
	for i := range h.stripes {
		n += h.stripes[i].n.Load()
	}
	return n
}
