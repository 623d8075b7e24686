// Package analyticspeer is a real HTTP peer for the Segment and RudderStack adapters' tests: an httptest
// server that speaks their batch API (POST /v1/batch with basic auth, JSON or gzip-compressed JSON),
// decodes every message, and can be told to fail, throttle or hang.
package analyticspeer

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// Message is one Track call as the peer received it.
type Message struct {
	Type      string `json:"type"`
	MessageID string `json:"messageId"`
	UserID    string `json:"userId"`
	Event     string `json:"event"`
	// Timestamp is Segment's timestamp field; OriginalTimestamp is RudderStack's.
	Timestamp         string          `json:"timestamp"`
	OriginalTimestamp string          `json:"originalTimestamp"`
	Properties        json.RawMessage `json:"properties"`
}

// Reply tells the peer how to answer one request. The zero Reply is a 200 that stores the messages.
type Reply struct {
	Status     int
	RetryAfter string
	// Hang makes the peer hold the request until the client gives up or the test ends.
	Hang bool
}

// Server is the peer. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	writeKey string
	stop     chan struct{}

	mu       sync.Mutex
	fault    func(n int) Reply
	messages []Message
	problems []string

	countOnly atomic.Bool
	stored    atomic.Int64
	requests  atomic.Int64
	gzipped   atomic.Int64
	rejected  atomic.Int64 // messages in requests answered with a non-2xx status
}

// New starts a peer that expects writeKey; it is shut down when the test ends.
func New(t testing.TB, writeKey string) *Server {
	s := &Server{writeKey: writeKey, stop: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(func() {
		close(s.stop) // release hanging handlers first: httptest.Server.Close waits for them
		s.Close()
	})
	return s
}

// SetFault makes the peer answer request n (1-based, counting every request since the start) as f says.
// A nil f restores normal service.
func (s *Server) SetFault(f func(n int) Reply) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// CountOnly makes the peer decode and check every message but keep only their count, for benchmarks
// that send millions.
func (s *Server) CountOnly() { s.countOnly.Store(true) }

// Stored counts the messages accepted (answered with 2xx).
func (s *Server) Stored() int { return int(s.stored.Load()) }

// Requests counts the requests received; Gzipped counts those with a gzip-encoded body.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Gzipped counts the requests whose body was gzip-encoded.
func (s *Server) Gzipped() int { return int(s.gzipped.Load()) }

// Rejected counts the messages in requests the peer answered with an error status.
func (s *Server) Rejected() int { return int(s.rejected.Load()) }

// Messages returns every message stored (answered with 2xx), in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Problems returns what was wrong with the requests received (auth, path, body); empty when all were
// well-formed.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

func (s *Server) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	n := int(s.requests.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/batch" {
		s.problem("request %d: unexpected %s %s", n, r.Method, r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != s.writeKey || pass != "" {
		s.problem("request %d: bad basic auth (user %q)", n, user)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		s.gzipped.Add(1)
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.problem("request %d: bad gzip: %v", n, err)
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	var batch struct {
		Batch []Message `json:"batch"`
	}
	if err := json.NewDecoder(body).Decode(&batch); err != nil {
		s.problem("request %d: bad JSON: %v", n, err)
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	fault := s.fault
	s.mu.Unlock()
	var reply Reply
	if fault != nil {
		reply = fault(n)
	}
	if reply.Hang {
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		s.rejected.Add(int64(len(batch.Batch)))
		return
	}
	if reply.Status != 0 && (reply.Status < 200 || reply.Status > 299) {
		s.rejected.Add(int64(len(batch.Batch)))
		if reply.RetryAfter != "" {
			w.Header().Set("Retry-After", reply.RetryAfter)
		}
		http.Error(w, `{"error":"injected fault"}`, reply.Status)
		return
	}
	for _, m := range batch.Batch {
		if m.Type != "track" || m.MessageID == "" || m.UserID == "" || m.Event == "" {
			s.problem("request %d: malformed message %+v", n, m)
		}
	}
	s.stored.Add(int64(len(batch.Batch)))
	if !s.countOnly.Load() {
		s.mu.Lock()
		s.messages = append(s.messages, batch.Batch...)
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"success":true}`)
}

// Events decodes the stored messages back into pipeline events, telling kinds apart by the Track event
// name, so that tests can compare them with what was sent.
func (s *Server) Events(assignmentName, banditName string) ([]batching.Event, error) {
	msgs := s.Messages()
	out := make([]batching.Event, 0, len(msgs))
	for _, m := range msgs {
		e := batching.Event{ID: m.MessageID}
		switch m.Event {
		case assignmentName:
			e.Kind = batching.KindAssignment
			e.Assignment = new(core.AssignmentEvent)
			if err := json.Unmarshal(m.Properties, e.Assignment); err != nil {
				return nil, fmt.Errorf("message %s: %w", m.MessageID, err)
			}
		case banditName:
			e.Kind = batching.KindBandit
			e.Bandit = new(core.BanditEvent)
			if err := json.Unmarshal(m.Properties, e.Bandit); err != nil {
				return nil, fmt.Errorf("message %s: %w", m.MessageID, err)
			}
		default:
			return nil, fmt.Errorf("message %s: unexpected event name %q", m.MessageID, m.Event)
		}
		out = append(out, e)
	}
	return out, nil
}

// IDs returns the distinct messageIds stored.
func (s *Server) IDs() map[string]int {
	ids := make(map[string]int)
	for _, m := range s.Messages() {
		ids[m.MessageID]++
	}
	return ids
}

// Eventually polls cond every 5 ms until it holds, failing the test after d.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval of an eventually-loop
	}
}

// RetryAfterSeconds renders d as a Retry-After header value.
func RetryAfterSeconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
