// Package coord is the coordination service's state machine: an MVCC
// key-value store with etcd v3 semantics (revisions, ranges at past
// revisions, transactions, compaction), leases and watches. It speaks
// go.etcd.io/etcd/api/v3's etcdserverpb and mvccpb types directly so that
// the etcd front-end converts nothing.
//
// # Caller's contract
//
// The store does no I/O of its own, owns no goroutine and reads no clock
// (ARCHITECTURE.md, decision 1). The raft host drives it:
//
//  1. A proposer validates nothing it need not (Apply re-validates
//     everything deterministically), picks a proposal ID and its own
//     timestamp — kept monotonic across leader changes, see LastTime — and
//     proposes Encode(id, unixMilli, req).
//  2. Every replica calls Apply(index, data) for each committed entry, in
//     log order. Apply takes "now" only from the entry. The Result carries
//     the proposal ID; the proposer completes its waiting request by that
//     ID, never by index.
//  3. Reads (Range, a read-only Txn, LeaseTimeToLive, LeaseLeases) run on
//     applied state, concurrently with each other; linearizable reads wait
//     for ReadIndex first.
//  4. The leader calls Expired(now) on its own clock and proposes a
//     LeaseRevokeRequest for each lease returned. A keep-alive is proposed
//     as a LeaseKeepAliveRequest entry ("refresh"): the lease then lives its
//     TTL from that entry's timestamp. A new leader should propose refreshes
//     for all leases (etcd extends them on promotion) so that clients get
//     time to find it.
//  5. The host calls SyncWatchers periodically (etcd: every 100 ms) so that
//     watchers that fell behind catch up from history, and NotifyProgress on
//     its progress interval.
//  6. WriteSnapshot and Restore move the whole state; entries at or below
//     the snapshot's applied index are skipped when replayed.
//
// # Semantics
//
// Revisions start at 1 in an empty store and grow by exactly one per write
// that changes something: a Put, a DeleteRange that deletes at least one
// key, a Txn whose taken branch changes something, a LeaseRevoke of a lease
// with keys (all its keys in one revision). Every change within one
// revision has its own sub-revision, in order. Compaction at C keeps, per
// key, the newest record at or below C unless it is a tombstone, and every
// record above C; reads below C fail with ErrCompacted.
//
// Errors use etcd's texts. Validation that etcd does in its API layer
// (empty keys, ignore_value with a value, duplicate keys in a txn, too many
// txn operations) is also done at apply, so a bad entry is rejected the same
// way on every replica.
//
// Watchers get each revision's matching events in one response. A watcher
// whose channel is full is never waited for: it is marked behind and later
// catches up from history (on each Apply and each SyncWatchers call), as
// etcd's watchable store moves a slow watcher to its unsynced group. A
// watcher that asks for, or falls behind to, history removed by compaction
// gets one response with CompactRevision set and its channel is closed.
//
// # Log entry encoding
//
// An entry is an 18-byte header followed by a protobuf message:
//
//	offset size
//	0      1    format version, 1
//	1      1    kind: 1 Put, 2 DeleteRange, 3 Txn, 4 Compaction,
//	            5 LeaseGrant, 6 LeaseRevoke, 7 LeaseKeepAlive (refresh),
//	            8 Member (a member's published name and URLs; no revision)
//	2      8    proposal ID, big-endian uint64
//	10     8    proposer timestamp, Unix milliseconds, big-endian int64
//	18     …    the etcdserverpb request of that kind, protobuf-encoded
//	            (deterministic marshaling)
//
// A LeaseGrantRequest with ID 0 gets its ID from the proposal ID (low 63
// bits), so the proposer may leave the choice to the entry.
//
// # Snapshot format
//
// A snapshot is one stream; integers are Go's encoding/binary varints
// (uvarint for counts and lengths, zig-zag varint for signed values):
//
//	"TRIADCRD"                       8 bytes magic
//	uvarint version                  2 (1: as 2 without members)
//	uvarint applied index
//	varint  last entry timestamp     Unix ms
//	varint  current revision
//	varint  compact revision         0 if never compacted
//	uvarint record count, then each record in (revision, sub) order:
//	    uvarint len, key bytes
//	    varint main revision, varint sub revision
//	    uvarint flags                1 = tombstone (nothing follows), 0 = put:
//	    varint create revision, varint version, varint lease ID
//	    uvarint len, value bytes
//	uvarint lease count, then each lease in ID order:
//	    varint ID, varint granted TTL (s), varint deadline (Unix ms)
//	uvarint member count, then each member in ID order:
//	    uvarint ID, uvarint len, name bytes,
//	    uvarint n, n × (uvarint len, peer URL bytes),
//	    uvarint n, n × (uvarint len, client URL bytes)
//	4 bytes CRC-32C (Castagnoli) of everything before, big-endian
//
// Records are every revision kept since the last compaction, so a restored
// store answers every historic read the original could. Which keys a lease
// holds is not stored: it is the live keys naming that lease. The snapshot
// is a pure function of the applied entries (maps are written in sorted
// order), so replicas' snapshots of the same index are byte-identical.
//
// # Concurrency
//
// Store.mu guards the state: Apply and Restore take it for writing, reads
// and WriteSnapshot for reading. The watch hub has its own mutex. Lock
// order: Store.mu, then the hub's mutex; Watcher.Cancel takes only the
// hub's. Sends to watcher channels never block.
package coord
