package queue

import (
	"errors"
	"time"

	"triad/internal/queue/partition"
)

// This file is the queue service's vocabulary: the requests and answers the
// Kafka front-end exchanges with it and the errors it returns. The
// front-end maps the errors to Kafka codes in its one table (errmap.go).

// Errors of the queue service. Wrapped errors match with errors.Is.
var (
	ErrUnknownTopicOrPartition = errors.New("queue: unknown topic or partition")
	ErrLeaderNotAvailable      = errors.New("queue: leader not available")
	ErrNotLeader               = errors.New("queue: not the leader for that partition")
	ErrInvalidTopic            = errors.New("queue: invalid topic")
	ErrTopicExists             = errors.New("queue: topic already exists")
	ErrInvalidPartitions       = errors.New("queue: invalid number of partitions")
	ErrInvalidReplication      = errors.New("queue: invalid replication factor")
	ErrInvalidConfig           = errors.New("queue: invalid config")
	ErrInvalidRequest          = errors.New("queue: invalid request")
	ErrCorruptMessage          = errors.New("queue: corrupt message")
	ErrMessageTooLarge         = errors.New("queue: message too large")
	ErrRecordListTooLarge      = errors.New("queue: record list too large")
	ErrUnsupportedCompression  = errors.New("queue: unsupported compression type")
	ErrInvalidRecord           = errors.New("queue: invalid record")
	ErrInvalidRequiredAcks     = errors.New("queue: invalid required acks")
	ErrNotEnoughReplicas       = errors.New("queue: not enough in-sync replicas")
	ErrOffsetOutOfRange        = errors.New("queue: offset out of range")
	ErrOutOfOrderSequence      = errors.New("queue: out of order sequence number")
	ErrInvalidProducerEpoch    = errors.New("queue: invalid producer epoch")
	ErrUnknownProducerID       = errors.New("queue: unknown producer id")
	ErrFencedLeaderEpoch       = errors.New("queue: fenced leader epoch")
	ErrUnknownLeaderEpoch      = errors.New("queue: unknown leader epoch")
	ErrTimeout                 = errors.New("queue: request timed out")
	ErrUnsupported             = errors.New("queue: not supported")
	ErrStorage                 = errors.New("queue: storage error")
)

// Special timestamps of ListOffsets.
const (
	LatestTimestamp   int64 = -1
	EarliestTimestamp int64 = -2
)

// Topic configuration names (Kafka's) that Triad keeps per topic.
const (
	ConfigRetentionMs       = "retention.ms"
	ConfigRetentionBytes    = "retention.bytes"
	ConfigSegmentBytes      = "segment.bytes"
	ConfigCleanupPolicy     = "cleanup.policy"
	ConfigMinInsyncReplicas = "min.insync.replicas"
	ConfigMaxMessageBytes   = "max.message.bytes"
	ConfigDeleteRetentionMs = "delete.retention.ms"
)

// Broker is one node as Kafka clients see it.
type Broker struct {
	NodeID int32
	Host   string
	Port   int32
	Rack   string
}

// ClusterInfo is the cluster-wide part of Metadata and DescribeCluster.
type ClusterInfo struct {
	ID           string
	ControllerID int32 // -1: none
	Brokers      []Broker
}

// TopicInfo describes one topic for Metadata.
type TopicInfo struct {
	Name       string
	Err        error // topic-level error; Partitions are then ignored
	Internal   bool
	Partitions []PartitionInfo // ordered by ID
}

// PartitionInfo describes one partition's replicas (broker IDs).
type PartitionInfo struct {
	ID          int32
	Err         error // e.g. ErrLeaderNotAvailable during an election
	Leader      int32 // -1: none
	LeaderEpoch int32 // the partition's raft term, -1 if unknown
	Replicas    []int32
	ISR         []int32
	Offline     []int32
}

// TopicSpec is a topic to create.
type TopicSpec struct {
	Name              string
	Partitions        int32             // -1: the broker default
	ReplicationFactor int16             // -1: the broker default
	Configs           map[string]string // Kafka config names → values
}

// ProduceRequest is one partition's part of a Produce request.
type ProduceRequest struct {
	Topic     string
	Partition int32
	// Acks is 0, 1 or -1 (all). With 0 the caller sends no response but
	// the records are appended all the same.
	Acks int16
	// Records is the record set exactly as the client sent it: one or
	// more v2 record batches.
	Records []byte
	// Timeout bounds the wait for replication (Kafka's timeout_ms).
	Timeout time.Duration
}

// ProduceResult answers a ProduceRequest.
type ProduceResult struct {
	Err            error
	BaseOffset     int64 // offset of the first record appended; -1 on error
	LogAppendTime  int64 // -1 unless the topic uses LogAppendTime
	LogStartOffset int64
}

// FetchRequest is a whole Fetch request, for the service to long-poll.
type FetchRequest struct {
	MaxWait  time.Duration
	MinBytes int32
	MaxBytes int32 // over all partitions; at least one batch is returned
	// Partitions in request order.
	Partitions []FetchPartition
}

// FetchPartition is one partition of a FetchRequest.
type FetchPartition struct {
	Topic       string
	Partition   int32
	Offset      int64
	MaxBytes    int32
	LeaderEpoch int32 // the client's current leader epoch, -1 if unknown
}

// FetchResult is one partition's answer, in request order.
type FetchResult struct {
	Topic          string
	Partition      int32
	Err            error
	HighWatermark  int64
	LogStartOffset int64
	// Records are whole record batches starting at or before the asked
	// offset (Kafka returns the batch containing it), as stored, still in
	// the log files (zero-copy); nil for none. The caller must Release
	// every set it is given.
	Records RecordSet
}

// RecordSet is fetched record batches: regions of a partition's log files
// that WriteTo sends to a socket with sendfile(2), or bytes in memory
// (RecordBytes).
type RecordSet = partition.RecordSet

// RecordBytes is a RecordSet held in memory.
type RecordBytes = partition.Bytes

// ReleaseAll releases the record sets of results.
func ReleaseAll(results []FetchResult) {
	for _, r := range results {
		if r.Records != nil {
			r.Records.Release()
		}
	}
}

// Offset is a ListOffsets answer.
type Offset struct {
	Offset      int64
	Timestamp   int64 // -1 for the special timestamps
	LeaderEpoch int32
}

// ConfigEntry is one topic config value for DescribeConfigs.
type ConfigEntry struct {
	Name      string
	Value     string
	IsDefault bool // the broker default, not set on the topic
	ReadOnly  bool
}

// ConfigOp is one change of IncrementalAlterConfigs (AlterConfigs is a
// set of OpSet replacing everything else with defaults).
type ConfigOp struct {
	Name  string
	Op    int8 // 0 set, 1 delete (back to default); append/subtract are refused for Triad's scalar configs
	Value string
}

// ProducerID is an InitProducerId answer.
type ProducerID struct {
	ID    int64
	Epoch int16
}
