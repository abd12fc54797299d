// Package storage is Triad's one storage primitive (ARCHITECTURE.md,
// decision 4): a segmented, checksummed, Raft-shaped log, a journal with
// Redis's appendfsync policies over it, and snapshot files. It touches disk
// only through vfs.FS, so every durability claim below is tested on
// vfs.MemFS, which drops what was not synced at a simulated crash, and on
// errorfs, which injects short writes, write and fsync errors and ENOSPC.
//
// # On-disk format
//
// A log is a directory of segment files named by the index of their first
// entry, zero-padded so names sort by index: 00000000000000000001.log.
// A segment is an 8-byte header, the magic "TRIADLG1" (its last byte is the
// format version), then records back to back, all integers little-endian:
//
//	len   u32   length of the body (17 + len(data)), at most 17+MaxEntryBytes
//	crc   u32   CRC-32C (Castagnoli) of the len field and the body
//	body:
//	  index u64
//	  term  u64
//	  type  u8
//	  data  len-17 bytes
//
// Indexes are consecutive across records and segments: a segment's first
// record has the index in its name, and each segment starts where the
// previous one ended. An empty log is one segment holding only the header;
// its name keeps the log's position (FirstIndex = LastIndex+1), which is how
// a log keeps counting after DropPrefix or TruncateSuffix to its start.
//
// Snapshots are files snap-<index, 20 digits>.snap: the caller's bytes,
// then a footer: CRC-32C of those bytes (u32) and the magic "TRIADSN1".
// They are written as <name>.tmp and renamed; *.tmp files are ignored.
//
// # Invariants
//
//   - Every segment but the last is complete and fsynced: a segment is
//     sealed by writing it out and fsyncing it before its successor is
//     created (and the directory synced). Damage there is therefore real
//     corruption, never a torn write.
//   - The last segment is written into space zero-filled ahead of its data
//     (Options.PreallocBytes, up to the segment size): fdatasync then has no
//     file size to update. Zeros from the end of its records to the end of
//     the file are its clean end, not damage; a segment is cut to its data
//     when it is sealed, so sealed segments never carry zeros.
//   - Only the tail of the last segment can be torn by a crash. OpenLog
//     truncates it — an incomplete record, or a bad record with nothing
//     valid after it (a zero-filled or garbage tail) — logging a warning,
//     and fsyncs the cut before anything new is written after it.
//   - Anything else (a bad record followed by valid ones, a bad header of a
//     sealed segment, an index out of sequence, a gap between segments)
//     fails OpenLog with *CorruptionError naming the file and offset.
//     Options.Repair instead truncates the log at the first corruption and
//     removes every later segment, logged at error level: entries after
//     the damage are lost, which Raft can refill from peers but a
//     single-node journal cannot — use it knowingly.
//   - TruncateSuffix is durable when it returns, so a crash cannot bring
//     back entries a new leader overwrote. Segment removals (by
//     TruncateSuffix newest first, by DropPrefix oldest first) sync the
//     directory after each file, so a crash midway leaves a contiguous log.
//   - Rewrite (compaction of a sealed segment) writes <segment>.rewrite,
//     fsyncs it, renames it over the segment and syncs the directory: a
//     crash leaves the old segment or the new one, whole; OpenLog removes
//     a leftover .rewrite file.
//   - A failed write or fsync is sticky: the Log returns ErrFailed (wrapping
//     the cause) from every later write, flush or sync. After a failed
//     fsync the kernel may have dropped the dirty pages, so a retry that
//     "succeeds" would prove nothing; reopening re-reads what is really on
//     disk.
//
// # What is durable when
//
// Log.Append encodes into a user-space buffer (no syscall unless the buffer
// passes Options.BufferBytes or the segment is full). Flush hands the
// buffer to the OS: it then survives a process crash (kill -9) but not a
// power failure. Sync = Flush + fsync of the active segment: everything
// appended before Sync was called survives anything. SyncedIndex and
// FlushedIndex report how far each has got.
//
// A Journal acknowledges (Durable returns) according to its SyncPolicy:
//
//	always    after fsync; group commit: one syncer at a time, the others
//	          wait and are covered by its sync or the next one.
//	          A crash loses nothing acknowledged.
//	everysec  after write(2); a background goroutine fsyncs once a second.
//	          A process crash loses nothing acknowledged; a power failure
//	          loses at most what was appended since the last completed
//	          background sync (about one second). The default.
//	no        after write(2); the OS decides when to write back (the
//	          goroutine only writes the buffer out each second). A power
//	          failure may lose anything not yet written back.
//
// Under every policy the log on disk after a crash is a prefix of what was
// appended: never a hole, never a stale entry.
//
// # Concurrency and lock order
//
// A Log has one writer (Append, TruncateSuffix, DropPrefix) and any number
// of concurrent Flush, Sync and readers. Locks, always taken in this order:
//
//	syncMu  serialises fsyncs and structural changes (truncate, drop, close)
//	wmu     serialises writes to files; the buffer is swapped out under mu
//	        and written holding only wmu, so Append never waits for write(2)
//	mu      in-memory state: segments, buffer, term runs, sticky error
//
// Sync holds syncMu (not mu) while it fsyncs, so Appends proceed during an
// fsync. Entries reads under mu, so a long read delays Append.
//
// # Regions (zero-copy reads)
//
// DataRegions returns entries' data as (file, offset, length) regions
// without reading them, for readers that pass the bytes on (a queue fetch
// sends them with sendfile(2)). A Regions pins the open files it names:
// a segment the log drops, rewrites or closes meanwhile keeps its handle
// (hence its old bytes) until the last Release, which closes it. Region
// bytes are not checksummed on the way out.
package storage
