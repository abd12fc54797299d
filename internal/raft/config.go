package raft

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage/vfs"
	"triad/internal/transport"
)

// Defaults of Config and GroupConfig.
const (
	DefaultTickInterval    = 100 * time.Millisecond
	DefaultElectionTicks   = 10
	DefaultHeartbeatTicks  = 1
	DefaultSnapshotEntries = 10000
	// DefaultCompactionSlack is how many applied entries are kept in the
	// log behind a snapshot, so a follower that lags a little catches up
	// from the log rather than by a whole snapshot.
	DefaultCompactionSlack = 1000
	maxSizePerMsg          = 1 << 20
	maxInflightMsgs        = 256
)

// Config configures a Host. Zero values take the documented defaults.
type Config struct {
	// NodeID is this node's ID; required, non-zero. It is also the
	// default replica ID of the groups the host runs.
	NodeID uint64
	// FS is the filesystem the groups' logs, hard states and snapshots
	// live on; default vfs.OS().
	FS vfs.FS
	// Dir holds one subdirectory per group; required.
	Dir string
	// Transport carries messages to peers; required. The caller wires the
	// host as its Handler and Reporter.
	Transport transport.Transport
	// TickInterval is the duration of one raft tick; default 100ms.
	TickInterval time.Duration
	// ElectionTicks is raft's election timeout in ticks (randomised by
	// raft in [T, 2T)); default 10, i.e. 1–2 s with the default tick. Set
	// it generously: a loaded 2-core machine can stall a heartbeat for
	// hundreds of milliseconds, and a spurious election costs more than
	// a slow failover.
	ElectionTicks int
	// HeartbeatTicks is the leader's heartbeat interval in ticks;
	// default 1. Must be below ElectionTicks.
	HeartbeatTicks int
	// SnapshotEntries is how many entries are applied between two state
	// machine snapshots; default 10000. Lower values bound restart time
	// and log size at the cost of more frequent snapshot writes.
	SnapshotEntries uint64
	// CompactionSlack is how many entries below a snapshot stay in the
	// log; default 1000.
	CompactionSlack uint64
	// SegmentBytes is the size of one log segment; default that of
	// storage.Options (64 MiB).
	SegmentBytes int64
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.NodeID == 0:
		return errors.New("raft: NodeID must be non-zero")
	case c.Dir == "":
		return errors.New("raft: Dir is required")
	case c.Transport == nil:
		return errors.New("raft: Transport is required")
	case c.TickInterval < 0 || c.ElectionTicks < 0 || c.HeartbeatTicks < 0:
		return errors.New("raft: tick settings must not be negative")
	}
	d := c.withDefaults()
	if d.HeartbeatTicks >= d.ElectionTicks {
		return fmt.Errorf("raft: HeartbeatTicks %d must be below ElectionTicks %d", d.HeartbeatTicks, d.ElectionTicks)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.FS == nil {
		c.FS = vfs.OS()
	}
	if c.TickInterval == 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = DefaultElectionTicks
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if c.SnapshotEntries == 0 {
		c.SnapshotEntries = DefaultSnapshotEntries
	}
	if c.CompactionSlack == 0 {
		c.CompactionSlack = DefaultCompactionSlack
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// GroupConfig describes one raft group hosted on this node.
type GroupConfig struct {
	// ID identifies the group across the cluster; non-zero.
	ID uint64
	// ReplicaID is this node's replica in the group; default the host's
	// NodeID. A node that is removed from a group and later re-added
	// must come back with a new replica ID (raft forbids reuse).
	ReplicaID uint64
	// Peers are the initial voters when the group is created for the
	// first time, as node IDs (their replica IDs equal their node IDs);
	// empty when joining an existing group (the leader adds this replica
	// with AddLearner) or when the group already has data on disk.
	Peers []uint64
	// StateMachine receives committed entries; required.
	StateMachine StateMachine
	// SnapshotEntries overrides the host's Config.SnapshotEntries for this
	// group (0 keeps it): a state machine whose snapshot is the whole state
	// snapshots less often than one that is cheap to write.
	SnapshotEntries uint64
	// RetainLog makes the group's log its data (a queue partition's
	// record batches): snapshots do not drop it, DropLogBefore does, and
	// ReadEntries serves committed entries from it. Raft reads old
	// entries from disk, so lagging followers catch up from the log.
	RetainLog bool
	// SegmentBytes overrides the host's Config.SegmentBytes for this
	// group's log (0 keeps it).
	SegmentBytes int64
	// Persisted, if set, is called from the ready loop with the data of
	// the normal entries this replica has just made durable on its own
	// disk (before they are sent to peers, and possibly before they
	// commit): a leader answers "written locally" (Kafka's acks=1) from
	// it. It must return quickly and must not call the host.
	Persisted func(data [][]byte)
}

// StateMachine is what a group replicates. Its methods are called from the
// group's own apply goroutine, one at a time and in log order, never from
// the host's shared loops: a slow state machine delays only its own group.
//
// The state machine is in memory only: on restart the host restores it
// from the latest snapshot and then applies the committed entries after it.
type StateMachine interface {
	// Apply applies committed entries in order. Conf changes are applied
	// to raft by the host and reported here too (Committed.ConfChange).
	Apply(entries []Committed)
	// Snapshot returns the state as of the last entry passed to Apply.
	// The reader may be consumed after later Apply calls, so it must be a
	// frozen view; the host closes it.
	Snapshot() (io.ReadCloser, error)
	// Restore replaces the whole state with a snapshot's.
	Restore(r io.Reader) error
}

// Committed is one committed log entry as the state machine sees it.
type Committed struct {
	Index uint64
	Term  uint64
	// Data is the proposed bytes of a normal entry (nil for the empty
	// entry a new leader appends, and for conf changes).
	Data []byte
	// ConfChange is set for a membership change, already applied.
	ConfChange *ConfChange

	cs   *pb.ConfState // the configuration after ConfChange
	ccID uint64        // completion ID of a host-proposed conf change
}

// ConfChange describes an applied membership change.
type ConfChange struct {
	Type      ConfChangeType
	ReplicaID uint64
	NodeID    uint64 // for AddLearner; otherwise 0
}

// ConfChangeType is the kind of a membership change.
type ConfChangeType uint8

// Kinds of membership changes.
const (
	AddLearner ConfChangeType = iota + 1
	PromoteVoter
	RemoveMember
	// AddVoter adds a voter directly; the host uses it only for a
	// group's initial members.
	AddVoter
)

func (t ConfChangeType) String() string {
	switch t {
	case AddLearner:
		return "add-learner"
	case PromoteVoter:
		return "promote-voter"
	case RemoveMember:
		return "remove-member"
	case AddVoter:
		return "add-voter"
	}
	return fmt.Sprintf("conf-change(%d)", uint8(t))
}

// Errors.
var (
	ErrNotLeader       = errors.New("raft: not leader")
	ErrUnknownGroup    = errors.New("raft: unknown group")
	ErrGroupExists     = errors.New("raft: group already exists")
	ErrClosed          = errors.New("raft: host closed")
	ErrGroupFailed     = errors.New("raft: group storage failed")
	ErrProposalDropped = errors.New("raft: proposal dropped")
	ErrReplicaReused   = errors.New("raft: replica ID already used in this group")
	ErrLogDropped      = errors.New("raft: entry dropped from the retained log")
	ErrNotRetained     = errors.New("raft: group does not retain its log")
)

// NotLeaderError is returned by Propose and the other leader-only calls on
// a replica that is not the leader. Leader is the node ID of the leader this
// replica knows of, 0 if none. errors.Is(err, ErrNotLeader) holds.
type NotLeaderError struct {
	Group  uint64
	Leader uint64
}

func (e *NotLeaderError) Error() string {
	if e.Leader == 0 {
		return fmt.Sprintf("raft: not leader of group %d (no known leader)", e.Group)
	}
	return fmt.Sprintf("raft: not leader of group %d (leader is node %d)", e.Group, e.Leader)
}

// Unwrap makes errors.Is(err, ErrNotLeader) true.
func (e *NotLeaderError) Unwrap() error { return ErrNotLeader }
