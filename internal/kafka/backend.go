package kafka

import (
	"context"
	"fmt"

	"triad/internal/queue"
	"triad/internal/queue/group"
)

// Backend is what the front-end needs from the queue service: the cluster's
// shape, the partitions' logs and the topics' administration. The front-end
// only decodes, asks, and maps errors to codes (ARCHITECTURE.md, decision 5);
// everything below the wire lives behind this interface, in the queue
// service's vocabulary (internal/queue/api.go) and, for groups, the group
// coordinator's (internal/queue/group/api.go).
//
// Errors are queue's sentinels (errors.Is), mapped to Kafka codes by one
// table (errmap.go). Per-item errors travel in results; an error returned
// for a whole call is answered as every item's error code where the
// response has one, and closes the connection only where it has none
// (Metadata).
//
// Implementations must be safe for concurrent use: every connection calls
// them, and a connection's Fetch long-polls while its later requests run.
type Backend interface {
	// Cluster describes the cluster as this node currently sees it.
	Cluster(ctx context.Context) (queue.ClusterInfo, error)

	// Topics describes the topics q asks for. For named topics it returns
	// one TopicInfo per distinct name, in q's order, with Err set for a
	// topic it cannot describe (queue.ErrUnknownTopicOrPartition for one
	// that does not exist and was not created); with q.All it returns every
	// topic (internal ones included) in any order.
	Topics(ctx context.Context, q TopicsQuery) ([]queue.TopicInfo, error)

	// Produce appends every partition's records now (in request order,
	// before the handler returns) and returns a function that waits for
	// the outcome per Acks (results in reqs' order). With Acks 0 the
	// front-end still calls wait (to release resources) but sends nothing.
	// The requests' Records alias the request frame, which the connection
	// reads its next request into once Produce returns: a backend copies
	// what must outlive the call (the queue's raft log does).
	Produce(ctx context.Context, reqs []queue.ProduceRequest) (wait func(context.Context) []queue.ProduceResult)

	// Fetch long-polls: it returns when MinBytes are available, MaxWait
	// passes or ctx ends. Results are in req.Partitions' order.
	Fetch(ctx context.Context, req queue.FetchRequest) ([]queue.FetchResult, error)

	// ListOffsets answers one partition: timestamp queue.LatestTimestamp
	// (-1), queue.EarliestTimestamp (-2), or the first offset whose
	// timestamp is at least timestamp (≥ 0; Offset -1 if there is none).
	// Other negative timestamps (-3, max timestamp, from v7) are the
	// backend's to serve or refuse with queue.ErrUnsupported. leaderEpoch
	// is the client's current leader epoch, -1 if unknown.
	ListOffsets(ctx context.Context, topic string, partition int32, timestamp int64, leaderEpoch int32) (queue.Offset, error)

	// CreateTopics creates (or with validateOnly only checks) the topics,
	// returning one error per spec, in specs' order. Names are distinct.
	CreateTopics(ctx context.Context, specs []queue.TopicSpec, validateOnly bool) []error
	// DeleteTopics deletes the topics, one error per name, in order.
	DeleteTopics(ctx context.Context, names []string) []error
	// CreatePartitions grows topic to count partitions.
	CreatePartitions(ctx context.Context, topic string, count int32, validateOnly bool) error

	// DescribeConfigs returns topic's configs named in names, all of them
	// for nil names.
	DescribeConfigs(ctx context.Context, topic string, names []string) ([]queue.ConfigEntry, error)
	// AlterConfigs changes topic's configs: incremental applies ops;
	// otherwise ops are all sets and every config not among them returns to
	// its default (AlterConfigs' replace-all semantics).
	AlterConfigs(ctx context.Context, topic string, ops []queue.ConfigOp, incremental, validateOnly bool) error

	// InitProducerID allocates an idempotent producer's id. The front-end
	// refuses transactional ids itself and passes nil today.
	InitProducerID(ctx context.Context, transactionalID *string) (queue.ProducerID, error)

	// OffsetForLeaderEpoch returns the end offset of leaderEpoch (the
	// first offset of the next epoch, or the log end offset for the
	// current one) and the largest epoch ≤ leaderEpoch that the log has.
	OffsetForLeaderEpoch(ctx context.Context, topic string, partition int32, leaderEpoch int32) (endOffset int64, epoch int32, err error)

	// Group coordination (the classic protocol), in queue/group's
	// vocabulary. FindCoordinator answers the broker coordinating a group
	// (keyType 0; transactions, keyType 1, are not served:
	// queue.ErrUnsupported). The other calls reach the group's coordinator
	// on this node, or answer group.ErrNotCoordinator /
	// group.ErrCoordinatorLoadInProgress; their errors are queue/group's
	// sentinels, which errmap.go maps.
	FindCoordinator(ctx context.Context, key string, keyType int8) (queue.Broker, error)
	JoinGroup(ctx context.Context, r group.JoinRequest) group.JoinResponse
	SyncGroup(ctx context.Context, r group.SyncRequest) group.SyncResponse
	Heartbeat(ctx context.Context, r group.HeartbeatRequest) error
	LeaveGroup(ctx context.Context, groupID string, members []group.LeaveMember) ([]error, error)
	CommitOffsets(ctx context.Context, r group.CommitRequest) ([]group.PartitionError, error)
	// FetchOffsets with parts nil returns every committed offset.
	FetchOffsets(ctx context.Context, groupID string, parts []group.TopicPartition) ([]group.CommittedOffset, error)
	DeleteOffsets(ctx context.Context, groupID string, parts []group.TopicPartition) ([]group.PartitionError, error)
	DescribeGroup(ctx context.Context, groupID string) (group.GroupDescription, error)
	// ListGroups lists this node's groups (Kafka: each broker lists the
	// groups it coordinates), filtered by state names (nil: all).
	ListGroups(ctx context.Context, states []string) ([]group.GroupListing, error)
	DeleteGroup(ctx context.Context, groupID string) error
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

// errNoQueue is what the standalone backend answers everything that needs a
// queue service.
var errNoQueue = fmt.Errorf("%w: this node runs no queue service", queue.ErrUnsupported)

// errNoCoordinator is its answer to group calls: COORDINATOR_NOT_AVAILABLE,
// which clients retry (they may be started before the node gains a queue
// service).
var errNoCoordinator = fmt.Errorf("%w: this node runs no queue service", group.ErrCoordinatorNotAvailable)

// standalone is the Backend of a node without a queue service: itself as the
// only broker and controller, and no topics. Reads answer "unknown topic",
// administration "not supported".
type standalone struct{ s *Server }

func (b standalone) Cluster(context.Context) (queue.ClusterInfo, error) {
	self := b.s.self()
	return queue.ClusterInfo{ID: b.s.cfg.ClusterID, ControllerID: self.NodeID, Brokers: []queue.Broker{self}}, nil
}

func (standalone) Topics(_ context.Context, q TopicsQuery) ([]queue.TopicInfo, error) {
	out := make([]queue.TopicInfo, len(q.Names))
	for i, n := range q.Names {
		out[i] = queue.TopicInfo{Name: n, Err: queue.ErrUnknownTopicOrPartition}
	}
	return out, nil
}

func (standalone) Produce(_ context.Context, reqs []queue.ProduceRequest) func(context.Context) []queue.ProduceResult {
	return func(context.Context) []queue.ProduceResult {
		out := make([]queue.ProduceResult, len(reqs))
		for i := range out {
			out[i] = queue.ProduceResult{Err: queue.ErrUnknownTopicOrPartition, BaseOffset: -1, LogAppendTime: -1, LogStartOffset: -1}
		}
		return out
	}
}

func (standalone) Fetch(_ context.Context, req queue.FetchRequest) ([]queue.FetchResult, error) {
	out := make([]queue.FetchResult, len(req.Partitions))
	for i, p := range req.Partitions {
		out[i] = queue.FetchResult{Topic: p.Topic, Partition: p.Partition, Err: queue.ErrUnknownTopicOrPartition}
	}
	return out, nil
}

func (standalone) ListOffsets(context.Context, string, int32, int64, int32) (queue.Offset, error) {
	return queue.Offset{}, queue.ErrUnknownTopicOrPartition
}

func (standalone) CreateTopics(_ context.Context, specs []queue.TopicSpec, _ bool) []error {
	out := make([]error, len(specs))
	for i := range out {
		out[i] = errNoQueue
	}
	return out
}

func (standalone) DeleteTopics(_ context.Context, names []string) []error {
	out := make([]error, len(names))
	for i := range out {
		out[i] = queue.ErrUnknownTopicOrPartition
	}
	return out
}

func (standalone) CreatePartitions(context.Context, string, int32, bool) error {
	return queue.ErrUnknownTopicOrPartition
}

func (standalone) DescribeConfigs(context.Context, string, []string) ([]queue.ConfigEntry, error) {
	return nil, queue.ErrUnknownTopicOrPartition
}

func (standalone) AlterConfigs(context.Context, string, []queue.ConfigOp, bool, bool) error {
	return queue.ErrUnknownTopicOrPartition
}

func (standalone) InitProducerID(context.Context, *string) (queue.ProducerID, error) {
	return queue.ProducerID{}, errNoQueue
}

func (standalone) OffsetForLeaderEpoch(context.Context, string, int32, int32) (int64, int32, error) {
	return -1, -1, queue.ErrUnknownTopicOrPartition
}

func (standalone) FindCoordinator(context.Context, string, int8) (queue.Broker, error) {
	return queue.Broker{}, errNoCoordinator
}

func (standalone) JoinGroup(_ context.Context, r group.JoinRequest) group.JoinResponse {
	return group.JoinResponse{Err: errNoCoordinator, MemberID: r.MemberID, Generation: -1}
}

func (standalone) SyncGroup(context.Context, group.SyncRequest) group.SyncResponse {
	return group.SyncResponse{Err: errNoCoordinator}
}

func (standalone) Heartbeat(context.Context, group.HeartbeatRequest) error { return errNoCoordinator }

func (standalone) LeaveGroup(context.Context, string, []group.LeaveMember) ([]error, error) {
	return nil, errNoCoordinator
}

func (standalone) CommitOffsets(context.Context, group.CommitRequest) ([]group.PartitionError, error) {
	return nil, errNoCoordinator
}

func (standalone) FetchOffsets(context.Context, string, []group.TopicPartition) ([]group.CommittedOffset, error) {
	return nil, errNoCoordinator
}

func (standalone) DeleteOffsets(context.Context, string, []group.TopicPartition) ([]group.PartitionError, error) {
	return nil, errNoCoordinator
}

func (standalone) DescribeGroup(context.Context, string) (group.GroupDescription, error) {
	return group.GroupDescription{}, errNoCoordinator
}

func (standalone) ListGroups(context.Context, []string) ([]group.GroupListing, error) {
	return nil, nil // no groups
}

func (standalone) DeleteGroup(context.Context, string) error { return errNoCoordinator }
