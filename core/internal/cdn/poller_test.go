package cdn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTimers replaces the poller's timers: every wait the poller asks for is reported on reqs, and
// the test decides when it fires. Nothing depends on wall time.
type fakeTimers struct {
	reqs chan fakeTimer
}

type fakeTimer struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeTimers() *fakeTimers { return &fakeTimers{reqs: make(chan fakeTimer, 64)} }

func (f *fakeTimers) after(d time.Duration) (<-chan time.Time, func() bool) {
	t := fakeTimer{d: d, fire: make(chan time.Time, 1)}
	f.reqs <- t
	return t.fire, func() bool { return true }
}

// next returns the poller's next wait request.
func (f *fakeTimers) next(t *testing.T) fakeTimer {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("the poller did not start a wait")
		return fakeTimer{}
	}
}

// scriptedStep returns the scripted errors in order (nil once the script runs out) and reports
// each call on calls.
type scriptedStep struct {
	mu     sync.Mutex
	script []error
	calls  chan int
	n      int
}

func newScriptedStep(script ...error) *scriptedStep {
	return &scriptedStep{script: script, calls: make(chan int, 64)}
}

func (s *scriptedStep) step(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.calls <- s.n
	if s.n <= len(s.script) {
		return s.script[s.n-1]
	}
	return nil
}

func stopPoller(t *testing.T, p *Poller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func TestPollerJitterSpreadsFirstWaits(t *testing.T) {
	checkNoGoroutineLeak(t)
	const (
		n        = 100
		interval = 30 * time.Second
		jitter   = 3 * time.Second
	)
	timers := newFakeTimers()
	waits := make([]time.Duration, 0, n)
	for i := range n {
		rng := rand.New(rand.NewPCG(42, uint64(i)))
		p := StartPoller(t.Context(), func(context.Context) error { return nil },
			PollerOptions{Interval: interval, Rand: rng.Float64, after: timers.after})
		waits = append(waits, timers.next(t).d)
		stopPoller(t, p)
	}
	// Each wait must lie in (interval-jitter, interval]; the default jitter is interval/10 = 3 s.
	buckets := make([]int, 4)
	var sum float64
	distinct := map[time.Duration]bool{}
	for _, w := range waits {
		if w <= interval-jitter || w > interval {
			t.Fatalf("wait %v outside (%v, %v]", w, interval-jitter, interval)
		}
		off := float64(interval-w) / float64(jitter) // uniform in [0, 1)
		sum += off
		buckets[int(off*4)]++
		distinct[w] = true
	}
	// For 100 uniform draws the mean has standard deviation 1/sqrt(1200) ≈ 0.029; allow 5 sigma.
	if mean := sum / n; math.Abs(mean-0.5) > 0.15 {
		t.Errorf("mean jitter fraction %.3f, want ≈ 0.5", mean)
	}
	// Each quarter expects 25 (sd ≈ 4.3); 10..40 is beyond 3.5 sigma either way.
	for i, c := range buckets {
		if c < 10 || c > 40 {
			t.Errorf("quarter %d of the jitter range holds %d of %d waits: %v", i, c, n, buckets)
		}
	}
	if len(distinct) < n-5 {
		t.Errorf("only %d distinct waits among %d pollers", len(distinct), n)
	}
}

func TestPollerJitterOptions(t *testing.T) {
	one := func() float64 { return math.Nextafter(1, 0) } // the largest value Rand may return
	for _, tc := range []struct {
		name     string
		opts     PollerOptions
		min, max time.Duration
	}{
		{"disabled", PollerOptions{Interval: 10 * time.Second, Jitter: -1}, 10 * time.Second, 10 * time.Second},
		{"explicit", PollerOptions{Interval: 10 * time.Second, Jitter: 4 * time.Second}, 6 * time.Second, 6*time.Second + time.Microsecond},
		{"clamped to half", PollerOptions{Interval: 10 * time.Second, Jitter: time.Hour}, 5 * time.Second, 5*time.Second + time.Microsecond},
		{"default jitter", PollerOptions{Interval: 10 * time.Second}, 9 * time.Second, 9*time.Second + time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timers := newFakeTimers()
			tc.opts.Rand, tc.opts.after = one, timers.after
			p := StartPoller(t.Context(), func(context.Context) error { return nil }, tc.opts)
			defer stopPoller(t, p)
			if w := timers.next(t).d; w < tc.min || w > tc.max {
				t.Errorf("wait with maximal jitter = %v, want in [%v, %v]", w, tc.min, tc.max)
			}
		})
	}
}

func TestPollerBackoffThenRecovers(t *testing.T) {
	checkNoGoroutineLeak(t)
	logger, logs := captureLogger()
	timers := newFakeTimers()
	boom := errors.New("server error")
	step := newScriptedStep(boom, boom, boom, nil, boom)
	p := StartPoller(t.Context(), step.step, PollerOptions{
		Interval: time.Minute, InitialBackoff: time.Second, Logger: logger, after: timers.after,
	})
	defer stopPoller(t, p)

	// Three failures: randomized (±50%) exponential waits from 1 s, multiplier 1.5.
	base := time.Second
	for i := 1; i <= 3; i++ {
		if got := <-step.calls; got != i {
			t.Fatalf("call %d, want %d", got, i)
		}
		w := timers.next(t)
		if lo, hi := base/2, base*3/2; w.d < lo || w.d > hi {
			t.Errorf("retry wait %d = %v, want in [%v, %v]", i, w.d, lo, hi)
		}
		base = base * 3 / 2
		w.fire <- time.Now()
	}
	// Success: back to the regular (jittered) interval.
	<-step.calls
	w := timers.next(t)
	if w.d <= 54*time.Second || w.d > time.Minute {
		t.Errorf("wait after recovery = %v, want in (54s, 60s]", w.d)
	}
	w.fire <- time.Now()
	// A new failure episode starts its backoff from the beginning again.
	<-step.calls
	if w := timers.next(t); w.d < 500*time.Millisecond || w.d > 1500*time.Millisecond {
		t.Errorf("first retry of the second episode = %v, want in [0.5s, 1.5s]", w.d)
	}
	out := logs.String()
	if c := strings.Count(out, "poll failed"); c != 4 {
		t.Errorf("logged %d failures, want 4:\n%s", c, out)
	}
	if !strings.Contains(out, "polling recovered") || !strings.Contains(out, "failures=3") {
		t.Errorf("recovery after 3 failures not logged:\n%s", out)
	}
}

func TestPollerBackoffCappedAtInterval(t *testing.T) {
	timers := newFakeTimers()
	fail := func(context.Context) error { return errors.New("down") }
	p := StartPoller(t.Context(), fail, PollerOptions{
		Interval: 2 * time.Second, InitialBackoff: time.Second, Logger: discardLogger(), after: timers.after,
	})
	defer stopPoller(t, p)
	for range 12 {
		w := timers.next(t)
		if w.d > 2*time.Second {
			t.Fatalf("retry wait %v exceeds the 2s poll interval", w.d)
		}
		w.fire <- time.Now()
	}
}

func TestPollerStopsOnPermanentError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unauthorized", fmt.Errorf("fetch: %w", &StatusError{Code: http.StatusUnauthorized, Endpoint: FlagsEndpoint})},
		{"permanent", Permanent(errors.New("invalid configuration URL"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := captureLogger()
			step := newScriptedStep(errors.New("transient"), tc.err)
			timers := newFakeTimers()
			p := StartPoller(t.Context(), step.step, PollerOptions{Interval: time.Minute, Logger: logger, after: timers.after})
			timers.next(t).fire <- time.Now() // the retry after the transient failure
			select {
			case <-p.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the poller kept running after a permanent error")
			}
			if !errors.Is(p.Err(), tc.err) {
				t.Errorf("Err() = %v, want %v", p.Err(), tc.err)
			}
			if step.n != 2 {
				t.Errorf("step ran %d times, want 2", step.n)
			}
			if c := strings.Count(logs.String(), "level=ERROR"); c != 1 {
				t.Errorf("logged %d errors, want exactly 1:\n%s", c, logs)
			}
			stopPoller(t, p) // Stop after a self-stop is a no-op
			if p.Err() == nil {
				t.Error("Stop cleared Err")
			}
		})
	}
}

func TestPollerNilStepEndsWithError(t *testing.T) {
	p := StartPoller(t.Context(), nil, PollerOptions{Interval: time.Minute, Logger: discardLogger()})
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a poller with a nil step kept running")
	}
	if !IsPermanent(p.Err()) || !strings.Contains(p.Err().Error(), "nil step") {
		t.Errorf("Err() = %v, want a permanent nil-step error", p.Err())
	}
}

func TestPollerRecoversFromStepPanic(t *testing.T) {
	timers := newFakeTimers()
	calls := 0
	p := StartPoller(t.Context(), func(context.Context) error {
		calls++
		if calls == 1 {
			panic("bad configuration")
		}
		return nil
	}, PollerOptions{Interval: time.Minute, Logger: discardLogger(), after: timers.after})
	defer stopPoller(t, p)
	if w := timers.next(t); w.d > 1500*time.Millisecond {
		t.Fatalf("after a panic the poller waited %v, want a backoff retry", w.d)
	} else {
		w.fire <- time.Now()
	}
	if w := timers.next(t); w.d < 54*time.Second {
		t.Fatalf("after the retry succeeded the poller waited %v, want the interval", w.d)
	}
}

func TestPollerStopIsIdempotentAndConcurrent(t *testing.T) {
	checkNoGoroutineLeak(t)
	timers := newFakeTimers()
	p := StartPoller(t.Context(), func(context.Context) error { return nil }, PollerOptions{Interval: time.Minute, after: timers.after})
	timers.next(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { stopPoller(t, p) })
	}
	wg.Wait()
	stopPoller(t, p)
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if p.Err() != nil {
		t.Errorf("Err() = %v after a plain Stop, want nil", p.Err())
	}
}

func TestPollerParentContextEndsPolling(t *testing.T) {
	timers := newFakeTimers()
	ctx, cancel := context.WithCancel(t.Context())
	p := StartPoller(ctx, func(context.Context) error { return nil }, PollerOptions{Interval: time.Minute, after: timers.after})
	timers.next(t)
	cancel()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the parent context did not end polling")
	}
}

func TestPollerStopBoundedByContextWhenStepIgnoresIt(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	p := StartPoller(t.Context(), func(context.Context) error {
		close(entered)
		<-release // a misbehaving step that ignores its context
		return nil
	}, PollerOptions{Interval: time.Minute})
	<-entered
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want context.DeadlineExceeded while the step is stuck", err)
	}
	close(release)
	stopPoller(t, p) // now the goroutine exits and Stop succeeds
}

// fetchStep is the step package core will run: fetch flags and record each new body.
func fetchStep(f *Fetcher, got *atomic.Value) func(context.Context) error {
	return func(ctx context.Context) error {
		resp, err := f.FetchFlags(ctx)
		if err != nil {
			return err
		}
		if !resp.NotModified {
			got.Store(string(resp.Body))
		}
		return nil
	}
}

func TestPollerWithServer500ThenRecovers(t *testing.T) {
	checkNoGoroutineLeak(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= 2 {
			http.Error(w, "overloaded", http.StatusInternalServerError)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	f, logs := newTestFetcher(t, srv.URL, nil)

	// Real timers, recorded: retries use millisecond backoff, successes a 50 ms interval.
	var mu sync.Mutex
	var waits []time.Duration
	after := func(d time.Duration) (<-chan time.Time, func() bool) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		timer := time.NewTimer(d)
		return timer.C, timer.Stop
	}
	var got atomic.Value
	p := StartPoller(t.Context(), fetchStep(f, &got), PollerOptions{
		Interval: 50 * time.Millisecond, InitialBackoff: 10 * time.Millisecond, Logger: f.logger, after: after,
	})
	eventually(t, 5*time.Second, "a successful fetch and two 304 polls", func() bool {
		return requests.Load() >= 5
	})
	stopPoller(t, p)
	f.CloseIdleConnections()

	if got.Load() != `{"ok":true}` {
		t.Errorf("stored body = %v", got.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) < 3 {
		t.Fatalf("waits = %v", waits)
	}
	if waits[0] > 15*time.Millisecond || waits[1] > 23*time.Millisecond {
		t.Errorf("the first two waits %v should be backoff retries (≤15ms, ≤22.5ms)", waits[:2])
	}
	if waits[2] <= 45*time.Millisecond {
		t.Errorf("the wait after recovery %v should be the jittered 50ms interval", waits[2])
	}
	out := logs.String()
	if strings.Count(out, "poll failed") != 2 || !strings.Contains(out, "polling recovered") {
		t.Errorf("logs do not show two failures and a recovery:\n%s", out)
	}
	assertNoKey(t, "logs", out)
}

func TestPollerWithServer401StopsPolling(t *testing.T) {
	checkNoGoroutineLeak(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "invalid api key", http.StatusUnauthorized)
	}))
	defer srv.Close()
	f, logs := newTestFetcher(t, srv.URL, nil)
	var got atomic.Value
	p := StartPoller(t.Context(), fetchStep(f, &got), PollerOptions{
		Interval: 20 * time.Millisecond, InitialBackoff: time.Millisecond, Logger: f.logger,
	})
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("polling continued after 401")
	}
	f.CloseIdleConnections()
	if !errors.Is(p.Err(), ErrUnauthorized) {
		t.Errorf("Err() = %v, want ErrUnauthorized", p.Err())
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
	out := logs.String()
	if strings.Count(out, "level=ERROR") != 1 || !strings.Contains(out, "unauthorized=true") {
		t.Errorf("want exactly one clear error line:\n%s", out)
	}
	assertNoKey(t, "logs", out)
	assertNoKey(t, "Err()", p.Err().Error())
}

func TestPollerStopAbandonsHungFetch(t *testing.T) {
	checkNoGoroutineLeak(t)
	srv, arrived := hangingServer(t)
	// A long request timeout: only Stop's cancellation can end this fetch quickly.
	f, _ := newTestFetcher(t, srv.URL, func(o *Options) { o.RequestTimeout = time.Minute })
	var got atomic.Value
	p := StartPoller(t.Context(), fetchStep(f, &got), PollerOptions{Interval: time.Minute})
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the first fetch never reached the server")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop during a hung fetch = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Stop took %v", d)
	}
	f.CloseIdleConnections()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
