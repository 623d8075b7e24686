package cdn

import (
	"bytes"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey contains characters that change under query escaping, so both forms are checked.
const testKey = "s3cr3t.Key+/v1="

// syncBuffer is a goroutine-safe log sink for a slog handler.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLogger returns a debug-level text logger writing to the returned buffer.
func captureLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// assertNoKey fails if text holds the test key in raw or escaped form.
func assertNoKey(t *testing.T, what, text string) {
	t.Helper()
	for _, form := range []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey), "s3cr3t"} {
		if strings.Contains(text, form) {
			t.Errorf("%s leaks the API key (%q): %s", what, form, text)
		}
	}
}

// newTestFetcher builds a fetcher for baseURL with a captured logger.
func newTestFetcher(t *testing.T, baseURL string, mod func(*Options)) (*Fetcher, *syncBuffer) {
	t.Helper()
	logger, logs := captureLogger()
	opts := Options{APIKey: testKey, BaseURL: baseURL, SDKName: "eppokit-test", SDKVersion: "9.9.9", Logger: logger}
	if mod != nil {
		mod(&opts)
	}
	f, err := NewFetcher(opts)
	if err != nil {
		t.Fatalf("NewFetcher: %v", err)
	}
	t.Cleanup(f.CloseIdleConnections)
	return f, logs
}

// eventually polls cond every few milliseconds until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoGoroutineLeak records the goroutine count and, at cleanup, waits for it to fall back.
// Call it before starting servers, clients or pollers (cleanups run last-in first-out, so the
// check runs after their own cleanups).
func checkNoGoroutineLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
