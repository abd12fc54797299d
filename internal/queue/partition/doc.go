// Package partition is one queue partition: the state machine its raft
// group applies, the reads served from it, and the leader's side of a
// produce. The group retains its raft log (raft.GroupConfig.RetainLog):
// the log is the partition's data, record batches stored once, as the
// producer sent them with their base offset and leader epoch stamped
// (both lie outside the batch CRC).
//
// # Log entries
//
// Every normal entry of the group is kind u8 | id u64 | time i64 |
// offset i64 | body, big-endian:
//
//   - kind 1, produce: body is exactly one v2 record batch (Kafka requires
//     one per partition per produce request since v3); offset is the base
//     offset the leader stamped into it, or -1 when the leader judged it a
//     duplicate of an idempotent producer's cached batch;
//   - kind 2, log start: offset is the new log start offset (retention).
//
// id is the proposer's completion ID (0: nobody waits), time the
// proposer's clock in Unix ms (producer expiry runs on it, never on the
// replica's clock).
//
// # Acceptance is a function of the log prefix
//
// Apply accepts a produce entry if the idempotent producer's sequence
// follows (package producer's rules; a duplicate is answered with the
// original offsets and appends nothing) and the stamped offset equals the
// log end; anything else rejects the whole entry, identically on every
// replica. The leader reaches the same decision before proposing, from a
// prediction: the applied state plus every entry it has proposed in its
// term, built once the replica has applied an entry of that term (so
// every earlier entry is applied or gone) and rebuilt after a proposal was
// dropped or an entry came back stale. Stamping and proposing happen under
// one lock, so entries reach the log in offset order. A produce's caller
// waits for its entry to be applied: it is committed then.
//
// # State, index and snapshot
//
// The state is the log end offset (the high watermark: apply sees
// committed entries only), the log start offset, one reference per
// accepted batch — base and last offset, the raft index of its entry, the
// running maximum of batch timestamps, size — which is the offset index
// and the time index in one, the leader-epoch starts (OffsetForLeaderEpoch)
// and the producers' state. A snapshot holds all of it (state.go gives the
// layout: varints, refs delta-encoded); the data stays in the raft log,
// which snapshots do not truncate. Retention is a logged log-start move;
// on apply every replica lets its raft log drop the entries wholly below
// the new start (whole segments, never past the latest snapshot).
//
// # Reads
//
// Fetch finds the batch holding the offset by binary search and reads the
// entries of that batch and the next ones from the raft log (recent ones
// from memory, older ones from the segment files), returning the stored
// batches back to back. OffsetForTime binary-searches the running maximum
// timestamp and decompresses that one batch to find the record.
package partition
