package kafka

import (
	"context"
	"errors"
)

// Backend is what the front-end needs from the queue service and the cluster
// to answer Metadata: who the brokers are and where each partition leads. The
// front-end only decodes, asks, and maps errors to codes (ARCHITECTURE.md,
// decision 5); everything below the wire lives behind this interface.
//
// It is deliberately small. Produce, Fetch, ListOffsets, the admin APIs and the
// group coordinator will add their own methods when their handlers land; until
// then a nil Backend (see NewServer) is a node that knows no topics.
//
// The value types below are the front-end's view. When internal/queue and
// internal/cluster exist they should own the topology types (nodes,
// partitions, leaders) and this interface should speak theirs, since a service
// cannot import its front-end; internal/server wires the implementation in.
//
// Implementations must be safe for concurrent use: every connection calls them.
type Backend interface {
	// Cluster describes the cluster as this node currently sees it.
	Cluster(ctx context.Context) (Cluster, error)

	// Topics describes the topics q asks for. For named topics it returns
	// one TopicInfo per distinct name, in q's order, with Err set for a
	// topic it cannot describe (ErrUnknownTopicOrPartition for one that does
	// not exist and was not created); with q.All it returns every topic
	// (internal ones included) in any order. An error fails the whole
	// request and closes the connection, so prefer per-topic errors.
	Topics(ctx context.Context, q TopicsQuery) ([]TopicInfo, error)
}

// Cluster is the cluster-wide part of a Metadata response.
type Cluster struct {
	// ID is the cluster id clients see (Metadata v2+); "" is sent as null.
	ID string
	// ControllerID is the broker clients send admin requests to (Metadata
	// v1+), or -1 if there is none.
	ControllerID int32
	// Brokers are the live brokers, this node included.
	Brokers []Broker
}

// Broker is one broker's advertised address.
type Broker struct {
	NodeID int32
	Host   string
	Port   int32
	Rack   string // "" is sent as null
}

// TopicsQuery is what a Metadata request asks about topics.
type TopicsQuery struct {
	// Names are the topics asked for, deduplicated, in request order.
	Names []string
	// All asks for every topic; Names is then empty.
	All bool
	// AutoCreate lets the backend create a named topic that does not
	// exist, if auto-creation is enabled (Metadata v4+ carries the client's
	// wish; earlier versions always ask, as Kafka treats them).
	AutoCreate bool
}

// TopicInfo describes one topic.
type TopicInfo struct {
	Name string
	// Err, if set, is the topic-level error (the partitions are then
	// ignored); errorCode maps it to a Kafka code.
	Err      error
	Internal bool
	// Partitions, ordered by ID.
	Partitions []PartitionInfo
}

// PartitionInfo describes one partition's replicas. Replicas are broker
// (node) IDs.
type PartitionInfo struct {
	ID int32
	// Err is the partition-level error, e.g. ErrLeaderNotAvailable during
	// an election; the rest is still reported.
	Err error
	// Leader is the leading broker, or -1.
	Leader int32
	// LeaderEpoch is the leader's epoch (the partition's raft term), or -1.
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
	Offline     []int32
}

// Errors a Backend returns; errors.go's codes are the wire form and
// errorCode (errmap.go) is the one table between the two.
var (
	ErrUnknownTopicOrPartition = errors.New("kafka: unknown topic or partition")
	ErrLeaderNotAvailable      = errors.New("kafka: leader not available")
	ErrNotLeaderOrFollower     = errors.New("kafka: not the leader or a follower")
	ErrInvalidTopic            = errors.New("kafka: invalid topic")
)

// standalone is the Backend of a node without a queue service yet: itself as
// the only broker and controller, and no topics.
type standalone struct{ s *Server }

func (b standalone) Cluster(context.Context) (Cluster, error) {
	self := b.s.self()
	return Cluster{ID: b.s.cfg.ClusterID, ControllerID: self.NodeID, Brokers: []Broker{self}}, nil
}

func (standalone) Topics(_ context.Context, q TopicsQuery) ([]TopicInfo, error) {
	out := make([]TopicInfo, len(q.Names))
	for i, n := range q.Names {
		out[i] = TopicInfo{Name: n, Err: ErrUnknownTopicOrPartition}
	}
	return out, nil
}
