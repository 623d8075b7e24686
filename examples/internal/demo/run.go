package demo

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
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

// Finish closes the client and the logger within 10 s and prints the Stats as the last line. It exits
// non-zero, with the reason on stderr, when not every exposure was delivered.
func Finish(client *core.Client, logger Logger, stats func() []batching.Stats) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client.Close(ctx)
	err := logger.Close(ctx)
	PrintStats(os.Stdout, Summarize(stats()))
	if err != nil {
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
