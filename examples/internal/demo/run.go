package demo

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/eppokit/eppokit/batching"
	"github.com/eppokit/eppokit/core"
)

// Logger is what the examples log through: a batching Processor or a Fanout of several.
type Logger interface {
	core.AssignmentLogger
	core.BanditLogger
	Close(ctx context.Context) error
}

// Run builds the client, evaluates the population (then half of it again, so dedupe has repeats to drop),
// prints the splits, and returns the client for the caller to close.
func Run(o *Options, logger Logger) *core.Client {
	client, err := NewClient(o, logger, logger)
	if err != nil {
		logger.Close(context.Background())
		Fail("%v", err)
	}
	start := time.Now()
	subjects := Population(o.Subjects)
	tally := Evaluate(client, subjects)
	Evaluate(client, subjects[:len(subjects)/2])
	fmt.Printf("%d subjects evaluated in %v\n\n", len(subjects), time.Since(start).Round(time.Millisecond))
	tally.Print(os.Stdout)
	fmt.Println()
	return client
}

// Finish closes the client and the logger within 10 s, then prints a one-line human summary and the
// Stats as JSON, the last line. It exits non-zero, with one line on stderr saying why, when Close
// reported an error or when the Stats show an accepted exposure that was not delivered.
func Finish(client *core.Client, logger Logger, stats func() []batching.Stats) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client.Close(ctx)
	err := logger.Close(ctx)
	sum := Summarize(stats())
	fmt.Println(sum.Line())
	PrintStats(os.Stdout, sum)
	if err != nil { // Close says how many were not delivered, and why, whenever any was not
		Fail("%v", err)
	}
}

// Summary is the examples' Stats line: the totals over every sink, and each sink's own Stats.
type Summary struct {
	Accepted     uint64                         `json:"accepted"`
	Deduplicated uint64                         `json:"deduplicated"`
	Delivered    uint64                         `json:"delivered"`
	Retried      uint64                         `json:"retried"`
	Dropped      map[batching.DropReason]uint64 `json:"dropped"`
	Pending      uint64                         `json:"pending"`
	Sinks        []batching.Stats               `json:"sinks"`
}

// Line is the one-line human summary printed before the Stats JSON.
func (s Summary) Line() string {
	var names []string
	for _, st := range s.Sinks {
		names = append(names, st.Name)
	}
	line := fmt.Sprintf("%s: %d of %d exposures delivered, %d dropped, %d pending; %d repeats suppressed by dedupe",
		strings.Join(names, "+"), s.Delivered, s.Accepted, s.droppedTotal(), s.Pending, s.Deduplicated)
	if r := s.reasons(); r != "" {
		line += " (dropped: " + r + ")"
	}
	return line
}

func (s Summary) droppedTotal() uint64 {
	var n uint64
	for _, v := range s.Dropped {
		n += v
	}
	return n
}

// reasons lists the drops by reason, largest first: "120 rejected, 3 queue_full".
func (s Summary) reasons() string {
	type count struct {
		reason batching.DropReason
		n      uint64
	}
	var cs []count
	for r, n := range s.Dropped {
		if n > 0 {
			cs = append(cs, count{r, n})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].n > cs[j].n || (cs[i].n == cs[j].n && cs[i].reason < cs[j].reason) })
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%d %s", c.n, c.reason)
	}
	return strings.Join(parts, ", ")
}

// Summarize adds up per-sink Stats.
func Summarize(all []batching.Stats) Summary {
	s := Summary{Dropped: map[batching.DropReason]uint64{}, Sinks: all}
	for _, st := range all {
		s.Accepted += st.Accepted
		s.Deduplicated += st.Deduplicated
		s.Delivered += st.Delivered
		s.Retried += st.Retried
		s.Pending += st.Pending
		for r, n := range st.Dropped {
			s.Dropped[r] += n
		}
	}
	return s
}

// RequireEnv returns the variable's value or exits with a one-line reason.
func RequireEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		Fail("%s is not set", name)
	}
	return v
}

// CheckReachable fails fast, with a one-line reason, when no TCP connection to addr (host:port) opens
// within 5 s: a sink that is down should stop the example at once, not after its retries.
func CheckReachable(what, addr string) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		Fail("%s at %s is not reachable: %v", what, addr, err)
	}
	conn.Close()
}

// CheckURLReachable is CheckReachable for an http(s) URL.
func CheckURLReachable(what, rawURL string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		Fail("%s URL %q is not a valid URL", what, rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	CheckReachable(what, host)
}

// KafkaEnv reads KAFKA_BROKERS (required, comma-separated) and KAFKA_TOPIC (default eppo-assignments), and
// fails fast when the first broker does not accept connections.
func KafkaEnv() (brokers []string, topic string) {
	brokers = strings.Split(RequireEnv("KAFKA_BROKERS"), ",")
	topic = os.Getenv("KAFKA_TOPIC")
	if topic == "" {
		topic = "eppo-assignments"
	}
	CheckReachable("Kafka broker", brokers[0])
	return brokers, topic
}
