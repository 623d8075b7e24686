// Package kafka delivers exposure events to Kafka topics with github.com/segmentio/kafka-go.
//
// Build a [Sink] with [NewSink] or, usually, a running pipeline in front of one with [NewLogger]; both
// take a [Config] whose zero fields mean the defaults documented on each field. Bring a kafka-go
// Transport (or Dialer) for TLS, SASL or your own dialing through [Config.Transport] ([Config.Dialer]).
//
// # Delivery
//
// The pipeline hands the sink batches, several at once ([NewLogger] gives it batches of up to
// [PipelineBatchSize] events, [PipelineExportConcurrency] in flight). Each Export groups its batch by
// topic and partition (the [Config.Balancer] over the partitions the cluster reports) and sends each
// leader broker one produce request carrying the record set of every partition it leads, all brokers at
// once, through kafka-go's Transport. No request waits for a partition batch to fill: kafka-go's Writer,
// used synchronously, makes every partial per-partition batch wait its BatchTimeout, which caps
// throughput on a partitioned topic, and in Async mode it reports failures only through a callback. Here
// each Export returns when every request was answered, and the pipeline counts each event as delivered
// (acknowledged with [Config.Acks], all in-sync replicas by default) or as failed, once.
//
// Failures are reported per partition: a broker error that Kafka calls retriable (leader moved, not
// enough replicas), a network error or a timeout is transient and the pipeline retries those events with
// backoff, waiting at least the throttle time a broker over its quota asked for; a message the broker
// refuses as too large or invalid, an authorisation failure or a closed sink is permanent and the events
// are dropped as rejected. Events larger than [Config.MaxMessageBytes] are dropped alone by the pipeline
// before they reach Kafka (reason oversize).
//
// Delivery is at least once. A request whose answer never came back (its Export's context ended first, or
// the connection broke after sending) may still have been stored: the retry then stores the same events
// again, with the same event ID. That is the only source of duplicates. A request whose Export gave up
// stays on the wire until the broker answers or [Config.WriteTimeout] passes; [Sink.Close] waits for such
// requests until its context ends.
//
// # Messages
//
// Each event is one message keyed by its subject, so with the default balancer (kafka.Hash) one subject's
// exposures stay on one partition. Within a batch a partition's events are sent in order, in as few
// record sets as the broker's size limit allows, and a failed record set stops the later ones of that
// partition. With several batches in flight, two batches may reach a partition in either order; give
// the pipeline batching.WithExportConcurrency(1) when one subject's events must never overtake each other
// across batches. The value is a JSON object (camelCase field names; Eppo's snake_case warehouse names
// with [Config.WarehouseNaming]). Headers carry the event ID ([HeaderEventID], stable across retries, for
// downstream dedupe) and the event kind ([HeaderEventKind]). Assignments and bandit actions go to
// separate topics by default ([Config.Topic], [Config.BanditTopic]).
package kafka
