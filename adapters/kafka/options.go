package kafka

import (
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/eppokit/eppokit/adapters/internal/eventcodec"
	"github.com/eppokit/eppokit/batching"
)

// Defaults applied when an option is not given or is given an invalid value.
const (
	DefaultAssignmentTopic = "eppo-assignments"
	DefaultBanditTopic     = "eppo-bandit-actions"
	DefaultBatchTimeout    = 2 * time.Millisecond
	DefaultBatchSize       = batching.DefaultBatchSize
	DefaultMaxMessageBytes = 1 << 20
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxAttempts     = 1
)

// Option configures a [Sink].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	assignmentTopic string
	banditTopic     string
	naming          eventcodec.Naming
	acks            kafkago.RequiredAcks
	batchTimeout    time.Duration
	batchSize       int
	maxMessageBytes int
	writeTimeout    time.Duration
	maxAttempts     int
	balancer        kafkago.Balancer
	transport       kafkago.RoundTripper
	compression     kafkago.Compression
}

func newConfig(opts []Option) config {
	c := config{
		assignmentTopic: DefaultAssignmentTopic,
		banditTopic:     DefaultBanditTopic,
		acks:            kafkago.RequireAll,
		batchTimeout:    DefaultBatchTimeout,
		batchSize:       DefaultBatchSize,
		maxMessageBytes: DefaultMaxMessageBytes,
		writeTimeout:    DefaultWriteTimeout,
		maxAttempts:     DefaultMaxAttempts,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.balancer == nil {
		c.balancer = &kafkago.Hash{}
	}
	return c
}

// WithTopic sends both assignments and bandit actions to topic (bandit actions can be split off again with
// [WithBanditTopic] given after it). Defaults [DefaultAssignmentTopic] and [DefaultBanditTopic]; an empty
// topic keeps them.
func WithTopic(topic string) Option {
	return optionFunc(func(c *config) {
		if topic != "" {
			c.assignmentTopic, c.banditTopic = topic, topic
		}
	})
}

// WithBanditTopic sends bandit actions to topic. Default [DefaultBanditTopic]; an empty topic keeps the
// current one.
func WithBanditTopic(topic string) Option {
	return optionFunc(func(c *config) {
		if topic != "" {
			c.banditTopic = topic
		}
	})
}

// WithWarehouseNaming writes JSON fields with Eppo's snake_case warehouse names (feature_flag, flag_key,
// action_probability, ...) instead of the default camelCase ones.
func WithWarehouseNaming() Option {
	return optionFunc(func(c *config) { c.naming = eventcodec.Warehouse })
}

// WithRequiredAcks sets the acknowledgements a write waits for. Default kafka.RequireAll. Any value
// kafka-go defines is accepted, including kafka.RequireNone, which gives up delivery confirmation.
func WithRequiredAcks(acks kafkago.RequiredAcks) Option {
	return optionFunc(func(c *config) {
		if acks >= kafkago.RequireAll && acks <= kafkago.RequireOne {
			c.acks = acks
		}
	})
}

// WithBatchTimeout sets kafka.Writer.BatchTimeout: how long a partition batch that is not full waits
// inside one Export before it is sent. Default [DefaultBatchTimeout]; zero or negative keeps the default.
func WithBatchTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.batchTimeout = d
		}
	})
}

// WithBatchSize sets kafka.Writer.BatchSize, the messages per partition batch. Match it to the pipeline's
// batch size ([NewLogger] does so for the pipeline it builds) so that a full pipeline batch is written
// without waiting for the batch timeout. Default [DefaultBatchSize]; values below 1 keep the default.
func WithBatchSize(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.batchSize = n
		}
	})
}

// WithMaxMessageBytes sets the largest JSON value the sink sends; the pipeline drops larger events alone
// (reason oversize). The broker's message.max.bytes (and the topic's max.message.bytes) must allow it.
// Default [DefaultMaxMessageBytes]; values below 1 keep the default.
func WithMaxMessageBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxMessageBytes = n
		}
	})
}

// WithWriteTimeout bounds each produce request and metadata read of kafka-go, independently of the
// contexts the pipeline passes. Default [DefaultWriteTimeout]; zero or negative keeps the default.
func WithWriteTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.writeTimeout = d
		}
	})
}

// WithMaxAttempts sets kafka.Writer.MaxAttempts, kafka-go's own attempts per partition batch before it
// reports a failure. Default [DefaultMaxAttempts] so that failures reach the pipeline's retry and drop
// accounting; values below 1 keep the default.
func WithMaxAttempts(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxAttempts = n
		}
	})
}

// WithBalancer sets how messages are spread over partitions. Default &kafka.Hash{}, which keeps each
// subject on one partition; nil keeps the default.
func WithBalancer(b kafkago.Balancer) Option {
	return optionFunc(func(c *config) {
		if b != nil {
			c.balancer = b
		}
	})
}

// WithTransport sets the kafka-go transport (TLS, SASL, dial settings). Default: a transport owned by the
// sink, with a 5 s dial timeout, closed by [Sink.Close]; nil keeps the default.
func WithTransport(rt kafkago.RoundTripper) Option {
	return optionFunc(func(c *config) {
		if rt != nil {
			c.transport = rt
		}
	})
}

// WithCompression compresses message batches with codec (kafka.Snappy, kafka.Lz4, kafka.Zstd,
// kafka.Gzip). Default none.
func WithCompression(codec kafkago.Compression) Option {
	return optionFunc(func(c *config) { c.compression = codec })
}
