// Package raft is Triad's multi-raft host (ARCHITECTURE.md, decision 2): one
// Host per node runs every raft group replica of that node over
// go.etcd.io/raft/v3's RawNode, one storage.Log per group and one
// transport.Transport for all of them.
//
// # Goroutines
//
//   - one tick loop: every TickInterval it ticks every group's RawNode;
//   - one ready loop: it runs group-commit cycles (below);
//   - one apply goroutine per group: it feeds committed entries to the
//     group's StateMachine, so a slow state machine (a long script) never
//     stalls the other groups or the ready loop;
//   - transport goroutines call Host.HandleBatch / HandleSnapshot and the
//     Reporter methods, which step the RawNode under the group's lock.
//
// # One ready cycle
//
//  1. For every group with HasReady: take its Ready (under the group lock).
//  2. Write, for each: a received snapshot's install (see Snapshots), the
//     new entries (appended to the group's log, buffered, and to the
//     MemoryStorage entry cache), and the HardState if it changed (into the
//     hard-state file, write(2) only).
//  3. Under the group lock: apply conf changes to raft (ApplyConfChange),
//     answer ReadIndex requests (ReadStates) and hand the committed entries
//     to the group's apply goroutine (a queue: in order, never blocking).
//     Committed entries are already durable on a quorum (a leader counts
//     its own copy only after it synced it, at Advance), so applying them
//     need not wait for this cycle's fsync.
//  4. Group commit: fsync every log and hard-state file written in step 2,
//     all concurrently (the last on the loop's own goroutine), and wait for
//     all. The hard-state file is fsynced only when the term or vote
//     changed (new entries are durable by the log's fsync; a commit index
//     alone need not be). Raft voters always sync before
//     acknowledging: there is no unsafe mode.
//  5. Only then send the Ready's messages, batched per destination node
//     (one Transport.Send per node per cycle); a MsgSnap goes through
//     Transport.SendSnapshot with the snapshot file as its body.
//  6. Advance, under the group lock.
//
// A group whose write or fsync fails stops for good (Status.Err, and every
// call returns ErrGroupFailed): its Ready is neither sent nor advanced, so
// nothing unsynced is ever acknowledged. Reopening the host re-reads what
// really reached the disk.
//
// # What is durable when
//
// An entry is durable before any message that acknowledges it (MsgAppResp,
// or a leader's own vote towards commit) leaves the node, and a term or vote
// before any message that depends on it. Committed entries were therefore
// on a synced majority before any replica applies them. After a crash, the
// log is a prefix of what was appended (storage's guarantee), and the hard
// state is one of the two last written. Because log and hard state are
// synced concurrently, the commit index may reach the disk ahead of the
// entries it covers; at open it is clamped to the last entry (commit is
// knowledge, and raft learns it again).
//
// # Proposals and reads
//
// Propose returns once the entry is in the leader's raft log (not yet
// committed); off the leader it returns *NotLeaderError with the leader's
// node ID (proposal forwarding is disabled). Completion is by a request ID
// that the caller embeds in the entry and that its state machine triggers
// when applying it (Waiter), never by index: an index can be reassigned by
// a leader change, and a proposal can be lost by one (the caller times out
// and retries, so entries must be idempotent by ID or tolerate a repeat).
// ReadIndex confirms leadership with a quorum (raft's ReadOnlySafe) and
// returns once this replica has applied the read index: a read of applied
// state after it is linearizable.
//
// # Membership
//
// Replica IDs are raft's node IDs inside a group; the host maps each to the
// node that hosts it. A group's initial voters have replica ID = node ID.
// AddLearner(replica, node), PromoteVoter and RemoveMember propose a
// ConfChangeV2 whose Context carries the node and a completion ID; they
// return once the change is applied on the leader. A replica ID is never
// reused: a removed ID is remembered (in snapshots) and AddLearner refuses
// it, so a node that comes back joins with a new replica ID
// (GroupConfig.ReplicaID). The host also learns replica → node from the
// sender of every message it receives.
//
// # Snapshots
//
// Every SnapshotEntries applied entries the apply goroutine asks the state
// machine for a Snapshot at the last applied index and writes it with
// storage.WriteSnapshotFile into the group's snap directory; then it
// registers it in MemoryStorage (CreateSnapshot, with a 16-byte descriptor
// — group and index — as raft's Snapshot.Data) and the ready loop compacts
// MemoryStorage and drops whole log segments up to index-CompactionSlack.
//
// A snapshot file's body (inside storage's checksummed snapshot file) is:
//
//	magic   "TRIADRS1"
//	u32     length of the metadata, then raftpb.SnapshotMetadata (protobuf):
//	        index, term, ConfState
//	u32     n, then n × (replica u64, node u64): the replica → node map
//	u32     m, then m × replica u64: retired replica IDs
//	...     the state machine's bytes, to the end
//
// (integers little-endian). When raft sends MsgSnap the ready loop streams
// that file, whole, through Transport.SendSnapshot; the receiver's
// HandleSnapshot writes the body into its own snap directory (durably)
// and only then steps the MsgSnap. When raft hands the snapshot back in a
// Ready, the ready loop starts a new empty log positioned after it (below),
// applies it to MemoryStorage and queues a restore ahead of later committed
// entries: the apply goroutine Restores the state machine from the file.
// ReportSnapshot and ReportUnreachable are called from the Reporter.
//
// # On-disk layout
//
//	<Dir>/group-<id, 20 digits>/
//	  hardstate                   two 64-byte slots, written alternately
//	  log-<base, 20 digits>/      a storage.Log; its index i is raft index base+i
//	  snap/snap-<index>.snap      storage snapshot files
//
// A hard-state slot is seq u64 | term u64 | vote u64 | commit u64 |
// CRC-32C (Castagnoli) of those 32 bytes, u32, then zero padding; slot
// seq%2 is written in place, so a torn write damages only the slot being
// written, and open takes the valid slot with the highest seq.
//
// storage.Log cannot start at an arbitrary index, so a log's directory
// carries its base: installing a snapshot at index s creates log-<s> (empty,
// synced) and then removes the old log directory. At open the highest base
// wins and older log directories (left by a crash midway) are removed.
//
// # Restart
//
// CreateGroup on existing data: read the hard state, the newest snapshot's
// header and the current log; if the log does not hold the snapshot's entry
// with its term (a snapshot received but not yet installed when the node
// stopped), the log is replaced by an empty one after the snapshot. Load
// the snapshot and the log after it into MemoryStorage, start the RawNode
// with Applied = the snapshot index, and queue a restore of the state
// machine from the snapshot: the state machine is in memory only and is
// rebuilt from the snapshot plus the committed entries raft hands out
// again. Waiters are not triggered by replayed entries unless the state
// machine itself does so.
//
// # Locks
//
// Host.loopMu (a whole ready cycle; RemoveGroup) → Host.mu (the group map)
// → group.mu (RawNode, replica map, pending reads) → group.snapMu (snapshot
// files) → applier locks. group.mu is never held across disk I/O except
// opening a snapshot file to send.
package raft
