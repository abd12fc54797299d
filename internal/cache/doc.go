// Package cache is Triad's Redis-compatible keyspace: sixteen databases of
// strings, lists, hashes, sets and sorted sets with TTLs, eviction, MULTI,
// blocking pops, Lua scripts and functions, and the pub/sub hub.
//
// # The state machine
//
// The keyspace changes only by applying log entries, in log order. A write
// (a command with FlagWrite) is turned into an entry — the arguments, the
// proposer's timestamp and a random seed (logentry.go) — appended to the
// Journal, then applied. Apply takes "now" only from the entry's timestamp
// (kept monotonic) and randomness only from its seed, so replaying the log
// after a restart, or on a replica once the cache runs on raft, reaches the
// same state. Consequences:
//
//   - Relative expiry (EX, PX, SETEX, EXPIRE …) is rewritten to absolute
//     time against the entry's clock before it is logged (expire_rewrite.go).
//   - Keys expire lazily (a lookup during apply deletes an expired key; a
//     read just does not see it) and actively: the expirer samples keys with
//     a TTL, as Redis does, and logs an expire entry for each expired one.
//     Eviction under maxmemory likewise logs evict entries: both are the
//     proposer's decisions, never a replica's.
//   - MULTI/EXEC is one entry. WATCH records a per-key version (and a
//     per-database epoch bumped by FLUSHDB/SWAPDB); the versions are checked
//     when the entry is applied, not when it is proposed.
//   - Scripts run at apply with an instruction budget (not a time limit),
//     so every replica stops a runaway script at the same instruction.
//     EVALSHA is rewritten to EVAL before logging.
//   - Blocking commands wait outside the state machine (blocked.go); a woken
//     waiter logs the command it is blocked on, whose applied form never
//     blocks.
//
// Reads (no FlagWrite) run under the engine's read lock against applied
// state and are not logged.
//
// # Snapshots
//
// A snapshot is the keyspace at one applied index, written without fork and
// without stopping writers for more than one slice of keys: writes capture
// an entry's old value into the snapshot before changing it (snapshot.go).
// The same value encoding serves DUMP/RESTORE (value_codec.go).
//
// # Locking
//
// Engine.mu guards the keyspace: held for reading by reads, for writing by
// log-append-and-apply (so log order is apply order), by snapshot slices,
// and by blocked-client bookkeeping. Nothing else is locked inside it except
// the Journal's own lock (taken by Append) and the pub/sub Hub's lock, which
// is never held while taking Engine.mu.
//
// # Memory
//
// used_memory for maxmemory is an estimate kept exact per write: each
// aggregate maintains an O(1) byte count, and Ctx.modify/finish add the
// difference a command made. The Go heap's own overhead is reported in INFO
// separately.
package cache
