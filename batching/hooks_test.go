package batching

import (
	"log/slog"
	"sync"
	"testing"
	"time"
)

// Hooks that fall behind lose no count: beyond maxNotices waiting calls, drops are summed per reason into
// later calls without Events; at most maxNoticesWithEvents waiting drops keep their Events.
func TestSlowHookGetsSummaries(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var calls, total, withEvents int
	var n notifier
	var ctr counters
	var logs rateLog
	logs.init(slog.New(slog.DiscardHandler), time.Hour)
	n.init(func(d Drop) {
		<-release
		mu.Lock()
		defer mu.Unlock()
		calls++
		total += d.Count
		if d.Events != nil {
			withEvents++
		}
	}, nil, &ctr, &logs)
	const drops = 3 * maxNotices
	for range drops {
		n.drop(Drop{Reason: ReasonRejected, Count: 2, Events: make([]Event, 2)})
	}
	close(release)
	if err := n.wait(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if total != 2*drops {
		t.Fatalf("the hook saw %d dropped events, want %d", total, 2*drops)
	}
	// One call runs while the rest queue; the summary comes last.
	if calls > maxNotices+2 || withEvents > maxNoticesWithEvents+1 {
		t.Fatalf("%d calls (%d with Events) for %d drops: the queue of notices is not bounded", calls, withEvents, drops)
	}
}
