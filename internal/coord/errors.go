package coord

import (
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// Errors carry etcd's own texts so that the etcd front-end can map each to
// its gRPC status in one table and clients see what etcd would say.
var (
	// ErrCompacted: a read or watch asked for a revision removed by compaction.
	ErrCompacted = errors.New("mvcc: required revision has been compacted")
	// ErrFutureRev: a read asked for a revision newer than the store's.
	ErrFutureRev = errors.New("mvcc: required revision is a future revision")

	ErrEmptyKey         = errors.New("etcdserver: key is not provided")
	ErrKeyNotFound      = errors.New("etcdserver: key not found")
	ErrValueProvided    = errors.New("etcdserver: value is provided")
	ErrLeaseProvided    = errors.New("etcdserver: lease is provided")
	ErrTooManyOps       = errors.New("etcdserver: too many operations in txn request")
	ErrDuplicateKey     = errors.New("etcdserver: duplicate key given in txn request")
	ErrLeaseNotFound    = errors.New("etcdserver: requested lease not found")
	ErrLeaseExists      = errors.New("etcdserver: lease already exists")
	ErrLeaseTTLTooLarge = errors.New("etcdserver: too large lease TTL")

	// ErrBadEntry: Apply was given bytes that are not a log entry of this
	// package. The entry is skipped; the state is unchanged.
	ErrBadEntry = errors.New("coord: malformed log entry")
	// ErrAlreadyApplied: Apply was given an index at or below the applied
	// index (replay over a snapshot); the entry is skipped.
	ErrAlreadyApplied = errors.New("coord: entry already applied")
	// ErrBadSnapshot: Restore was given a corrupt or foreign snapshot.
	ErrBadSnapshot = errors.New("coord: malformed snapshot")
	// ErrNotReadOnly: a read-only entry point was given a request that writes.
	ErrNotReadOnly = errors.New("coord: request is not read-only")
)

// Errors of the replicated service (Service), with etcd's texts.
var (
	// ErrNoLeader: the group has no leader this node knows of (an election
	// is under way or the node is cut off). Clients retry.
	ErrNoLeader = errors.New("etcdserver: no leader")
	// ErrTimeout: the request was proposed but not applied in time; it may
	// still be applied later.
	ErrTimeout = errors.New("etcdserver: request timed out")
	// ErrLeaderChanged: leadership moved while the request was in flight;
	// it may or may not have been applied.
	ErrLeaderChanged = errors.New("etcdserver: leader changed")
	// ErrStopped: the service is shutting down.
	ErrStopped = errors.New("etcdserver: server stopped")
	// ErrMemberNotFound: a member ID that is not in the cluster.
	ErrMemberNotFound   = errors.New("etcdserver: member not found")
	ErrMemberExist      = errors.New("etcdserver: member ID already exist")
	ErrPeerURLExist     = errors.New("etcdserver: Peer URLs already exists")
	ErrMemberBadURLs    = errors.New("etcdserver: given member URLs are invalid")
	ErrMemberNotLearner = errors.New("etcdserver: can only promote a learner member")
)

// NotLeaderError says that a write must be made on the leader, Leader,
// which a front-end forwards it to. Leader carries the attributes the
// leader published (its client URLs); it is nil when the leader has not
// published them yet, and then the front-end answers ErrNoLeader.
type NotLeaderError struct {
	LeaderID uint64
	Leader   *pb.Member
}

func (e *NotLeaderError) Error() string {
	return fmt.Sprintf("etcdserver: not leader (leader is member %x)", e.LeaderID)
}
