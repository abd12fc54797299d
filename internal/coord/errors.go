package coord

import "errors"

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
