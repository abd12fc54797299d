// Package benchqueue is the load generator behind `make bench-queue`: it
// drives Triad's Kafka front-end with franz-go (kgo) and NATS JetStream with
// nats.go, through one small driver interface, so that both systems are
// measured by the same rows, the same records, the same in-flight window and
// the same clock, one system at a time.
//
// Rows (see Rows and LimitRows; names parse as kind-size-partitions):
//
//	produce-<size>-<n>p  one producer sending <size>-byte records round-robin
//	                     over n partitions as fast as the in-flight window
//	                     (Config.Window records) lets it, for Config.Warmup
//	                     and then Config.Duration. Counted: records whose
//	                     acknowledgement arrives inside the counted window;
//	                     latency is ack time − send time.
//	consume-<size>-<n>p  one consumer reading the matching produce row's
//	                     topic from the start until it has every record that
//	                     row had acknowledged (filled first, untimed, if the
//	                     produce row did not run). Throughput is records over
//	                     the time from the consumer's creation to the last
//	                     record; no latency.
//	e2e-<size>-<n>p      a producer paced at Config.Rate bytes/s and a consumer
//	                     tailing a fresh topic from its start; latency is the
//	                     consumer's receive time − the send time carried in
//	                     the record, for records sent inside the counted window.
//	disk                 the machine's limit: sequential 1 MiB writes, each
//	                     followed by fdatasync, to a file in Config.DataDir.
//	loopback             the machine's limit: one TCP stream over 127.0.0.1.
//
// Sizes are "<n>b" (bytes) or "<n>k" (KiB); MB in results is 10^6 bytes.
//
// The Kafka driver produces with acks=all, idempotence on (kgo's default), no
// compression, Config.Linger (default 0: batches form while earlier requests
// are in flight) and MaxBufferedRecords = Config.Window; partitions are chosen
// by the generator (kgo's ManualPartitioner) and read with direct partition
// consumption. The NATS driver uses one stream per topic with file storage
// and its other settings at their defaults, one subject per partition
// (<stream>.<n>), PublishAsync with PublishAsyncMaxPending = Config.Window and
// every ack awaited, and an ordered consumer to read.
//
// Every record's first 16 bytes are its send time (Unix nanoseconds, big
// endian) and its sequence number; the rest is filler. Topics and streams are
// named triad-bench-<row>-<run id> and deleted once no later row needs them.
package benchqueue
