package kafka

import (
	"fmt"
	"net"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// Defaults used for the zero fields of a [Config].
const (
	DefaultAssignmentTopic = "eppo-assignments"
	DefaultBanditTopic     = "eppo-bandit-actions"
	DefaultMaxMessageBytes = 1 << 20
	DefaultWriteTimeout    = 10 * time.Second
	DefaultDialTimeout     = 5 * time.Second
	DefaultClientID        = "eppokit"
)

// Acks is the acknowledgement a produce request waits for; an event counts as delivered once it arrived.
type Acks int8

// Acknowledgement levels. The zero value, AcksAll, is the default.
const (
	// AcksAll waits until all in-sync replicas stored the records (Kafka's acks=all).
	AcksAll Acks = iota
	// AcksLeader waits for the partition leader only (acks=1).
	AcksLeader
	// AcksNone waits for nothing (acks=0): delivered then means written to the connection.
	AcksNone
)

func (a Acks) required() kafkago.RequiredAcks {
	switch a {
	case AcksLeader:
		return kafkago.RequireOne
	case AcksNone:
		return kafkago.RequireNone
	}
	return kafkago.RequireAll
}

// Config configures a [Sink]. Brokers is required; every other field has a default for its zero value.
type Config struct {
	// Brokers are the bootstrap addresses (host:port) of the cluster. Required.
	Brokers []string
	// Topic receives assignment events. Default [DefaultAssignmentTopic].
	Topic string
	// BanditTopic receives bandit actions. Default [DefaultBanditTopic]; set it to Topic for one topic.
	BanditTopic string
	// WarehouseNaming writes JSON fields with Eppo's snake_case warehouse names (feature_flag, flag_key,
	// action_probability, ...) instead of the default camelCase ones.
	WarehouseNaming bool
	// Acks is the acknowledgement an event waits for. Default [AcksAll]: all in-sync replicas.
	Acks Acks
	// MaxMessageBytes is the largest JSON value the sink sends; the pipeline drops larger events alone
	// (reason oversize). The broker's message.max.bytes (and the topic's max.message.bytes) must allow it.
	// Default [DefaultMaxMessageBytes].
	MaxMessageBytes int
	// WriteTimeout bounds each produce request and metadata lookup, also one whose Export already gave up.
	// Default [DefaultWriteTimeout].
	WriteTimeout time.Duration
	// Balancer picks each message's partition. Default &kafka.Hash{}: by key, which is the subject, so one
	// subject's events stay in order on one partition.
	Balancer kafkago.Balancer
	// Compression compresses record batches (kafka.Snappy, kafka.Lz4, kafka.Zstd, kafka.Gzip). Default none.
	Compression kafkago.Compression
	// Transport carries the requests: bring a *kafka.Transport for TLS, SASL or your own dialer. The sink
	// does not close it. Default: a transport owned and closed by the sink, with a [DefaultDialTimeout]
	// dial timeout and client ID [DefaultClientID]. Set Transport or Dialer, not both.
	Transport kafkago.RoundTripper
	// Dialer, when Transport is nil, builds the sink's transport from a kafka-go Dialer you already use:
	// its TLS, SASLMechanism, ClientID (default [DefaultClientID]), Timeout (default
	// [DefaultDialTimeout]) and DialFunc, or else LocalAddr, KeepAlive and FallbackDelay.
	Dialer *kafkago.Dialer
}

// resolved is a Config with its defaults applied and checked.
type resolved struct {
	Config
	ownedTransport *kafkago.Transport // built by the sink, closed with it
}

// resolve applies defaults and reports the first unusable field, wrapping [ErrInvalidConfig].
func (c Config) resolve() (resolved, error) {
	invalid := func(field, format string, args ...any) (resolved, error) {
		return resolved{}, fmt.Errorf("%w: Config.%s %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	if len(c.Brokers) == 0 {
		return invalid("Brokers", "is empty: at least one host:port is required")
	}
	for i, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return invalid("Brokers", "[%d] %q is not host:port: %v", i, b, err)
		}
	}
	if c.Topic == "" {
		c.Topic = DefaultAssignmentTopic
	}
	if c.BanditTopic == "" {
		c.BanditTopic = DefaultBanditTopic
	}
	for field, topic := range map[string]string{"Topic": c.Topic, "BanditTopic": c.BanditTopic} {
		if err := checkTopic(topic); err != nil {
			return invalid(field, "%q %v", topic, err)
		}
	}
	if c.Acks < AcksAll || c.Acks > AcksNone {
		return invalid("Acks", "%d is not AcksAll, AcksLeader or AcksNone", c.Acks)
	}
	switch {
	case c.MaxMessageBytes < 0:
		return invalid("MaxMessageBytes", "is negative (%d)", c.MaxMessageBytes)
	case c.MaxMessageBytes == 0:
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	switch {
	case c.WriteTimeout < 0:
		return invalid("WriteTimeout", "is negative (%s)", c.WriteTimeout)
	case c.WriteTimeout == 0:
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Balancer == nil {
		c.Balancer = &kafkago.Hash{}
	}
	r := resolved{Config: c}
	switch {
	case c.Transport != nil && c.Dialer != nil:
		return invalid("Dialer", "is set together with Config.Transport: set one of them")
	case c.Transport == nil:
		r.ownedTransport = transportFrom(c.Dialer)
		r.Transport = r.ownedTransport
	}
	return r, nil
}

// transportFrom builds the sink's own transport, from d's settings when d is not nil.
func transportFrom(d *kafkago.Dialer) *kafkago.Transport {
	t := &kafkago.Transport{DialTimeout: DefaultDialTimeout, ClientID: DefaultClientID}
	if d == nil {
		return t
	}
	if d.Timeout > 0 {
		t.DialTimeout = d.Timeout
	}
	if d.ClientID != "" {
		t.ClientID = d.ClientID
	}
	t.TLS, t.SASL = d.TLS, d.SASLMechanism
	t.Dial = d.DialFunc
	if t.Dial == nil {
		nd := &net.Dialer{LocalAddr: d.LocalAddr, KeepAlive: d.KeepAlive, FallbackDelay: d.FallbackDelay}
		t.Dial = nd.DialContext
	}
	return t
}

// checkTopic applies Kafka's rule for topic names: 1 to 249 characters from [a-zA-Z0-9._-], not "." or "..".
func checkTopic(name string) error {
	if len(name) > 249 || name == "." || name == ".." {
		return fmt.Errorf("is not a valid Kafka topic name")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("has %q; Kafka topic names use only [a-zA-Z0-9._-]", r)
		}
	}
	return nil
}
