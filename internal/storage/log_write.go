package storage

import (
	"fmt"
	"io"
)

// Append adds entries, which must have consecutive indexes. The first must
// be LastIndex()+1, or an index at or below LastIndex (not below
// FirstIndex), in which case the suffix from it is truncated first, as Raft
// requires when a leader overwrites a follower's uncommitted entries.
//
// Append copies the entries into a user-space buffer: no syscall, except
// when the buffer passes Options.BufferBytes (it then writes it) or the
// active segment is full (it then rolls: write, fsync, create, SyncDir).
// Nothing is durable until Sync.
func (l *Log) Append(ents ...Entry) error {
	if len(ents) == 0 {
		return nil
	}
	for i := range ents {
		if i > 0 && ents[i].Index != ents[i-1].Index+1 {
			return fmt.Errorf("%w: index %d follows %d", ErrOutOfOrder, ents[i].Index, ents[i-1].Index)
		}
		if len(ents[i].Data) > MaxEntryBytes {
			return fmt.Errorf("storage: entry %d is %d bytes, over MaxEntryBytes", ents[i].Index, len(ents[i].Data))
		}
	}
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if first := ents[0].Index; first <= l.active().last {
		l.mu.Unlock()
		if err := l.TruncateSuffix(first); err != nil {
			return err
		}
		l.mu.Lock()
		if err := l.usableLocked(); err != nil {
			l.mu.Unlock()
			return err
		}
	}
	if first, last := ents[0].Index, l.active().last; first != last+1 {
		l.mu.Unlock()
		return fmt.Errorf("%w: append at %d after last index %d", ErrOutOfOrder, first, last)
	}
	for i := range ents {
		e := &ents[i]
		size := int64(recordSize(e))
		if act := l.active(); act.last >= act.first && act.size+size > l.opts.SegmentBytes {
			l.mu.Unlock()
			if err := l.roll(); err != nil {
				return err
			}
			l.mu.Lock()
		}
		act := l.active()
		act.offsets.push(act.size)
		l.pending = appendRecord(l.pending, e)
		act.size += size
		act.last = e.Index
		l.pushTermLocked(e.Index, e.Term)
	}
	full := len(l.pending) >= l.opts.BufferBytes
	l.mu.Unlock()
	if full {
		return l.Flush()
	}
	return nil
}

// Flush hands buffered entries to the OS (write(2)): after it they survive
// a process crash, though not a power failure. It does not hold the lock
// Append takes while the bytes are written.
func (l *Log) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.writePendingW()
}

// writePendingW writes the buffer to the active segment. wmu must be held,
// which keeps the active segment from changing underneath.
func (l *Log) writePendingW() error {
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	if len(l.pending) == 0 {
		l.mu.Unlock()
		return nil
	}
	buf := l.pending
	l.pending, l.spare = l.spare[:0], nil
	seg := l.active()
	target := seg.last
	l.mu.Unlock()

	if err := l.preallocW(seg, int64(len(buf))); err != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.failLocked(fmt.Errorf("preallocate %s: %w", seg.path, err))
	}
	n, err := seg.f.Write(buf)

	l.mu.Lock()
	defer l.mu.Unlock()
	seg.flushed += int64(n)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return l.failLocked(fmt.Errorf("write %s: %w", seg.path, err))
	}
	l.flushedIdx.Store(target)
	if cap(buf) <= 4*l.opts.BufferBytes {
		l.spare = buf[:0]
	}
	return nil
}

// zeros is what preallocation writes.
var zeros = make([]byte, 256<<10)

// preallocW extends seg's file with zeros, when the next n bytes would
// pass its end, to PreallocBytes beyond them, and puts the file offset back
// where the data goes. wmu must be held (seg.flushed and seg.alloc change
// only under it).
func (l *Log) preallocW(seg *segment, n int64) error {
	if l.opts.PreallocBytes <= 0 || seg.flushed+n <= seg.alloc {
		return nil
	}
	from := max(seg.alloc, seg.flushed)
	// Not past the size at which the segment is sealed.
	to := min(seg.flushed+n+l.opts.PreallocBytes, max(l.opts.SegmentBytes, seg.flushed+n))
	if _, err := seg.f.Seek(from, io.SeekStart); err != nil {
		return err
	}
	for off := from; off < to; {
		w, err := seg.f.Write(zeros[:min(to-off, int64(len(zeros)))])
		off += int64(w)
		if err != nil {
			seg.alloc = max(seg.alloc, off)
			seg.f.Seek(seg.flushed, io.SeekStart)
			return err
		}
	}
	seg.alloc = to
	_, err := seg.f.Seek(seg.flushed, io.SeekStart)
	return err
}

// Sync makes every entry appended before it was called durable: flush,
// fsync the active segment (sealed segments were synced when sealed) and,
// since roll synced the directory, nothing else. Concurrent Syncs are
// serialised; Appends proceed while the fsync runs.
func (l *Log) Sync() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if err := l.Flush(); err != nil {
		return err
	}
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return err
	}
	seg := l.active()
	target := l.flushedIdx.Load()
	l.mu.Unlock()
	if target <= l.syncedIdx.Load() {
		return nil
	}
	if err := seg.f.Sync(); err != nil {
		return l.fail(fmt.Errorf("fsync %s: %w", seg.path, err))
	}
	l.storeSynced(target)
	return nil
}

func (l *Log) storeSynced(i uint64) {
	for {
		cur := l.syncedIdx.Load()
		if i <= cur || l.syncedIdx.CompareAndSwap(cur, i) {
			return
		}
	}
}

// roll seals the active segment and starts the next. The sealed segment is
// fsynced before its successor exists, so that every segment but the last
// is complete on disk: damage there is corruption, never a torn write.
func (l *Log) roll() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.writePendingW(); err != nil {
		return err
	}
	l.mu.Lock()
	old := l.active()
	l.mu.Unlock()
	// A sealed segment ends at its last record: its zero-filled tail goes.
	if old.alloc > old.flushed {
		if err := old.f.Truncate(old.flushed); err != nil {
			return l.fail(fmt.Errorf("seal %s: %w", old.path, err))
		}
		old.alloc = old.flushed
	}
	if err := old.f.Sync(); err != nil {
		return l.fail(fmt.Errorf("fsync %s: %w", old.path, err))
	}
	l.storeSynced(old.last)
	s, err := l.createSegment(old.last + 1)
	if err != nil {
		return l.fail(err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		s.f.Close()
		return l.fail(fmt.Errorf("sync dir after creating %s: %w", s.path, err))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segs = append(l.segs, s)
	return nil
}

// TruncateSuffix removes every entry with index ≥ from. It is durable when
// it returns (files cut and fsynced, removed segments' directory synced),
// so a crash can never bring back an entry a new leader overwrote. from may
// be FirstIndex, which empties the log but keeps its position.
func (l *Log) TruncateSuffix(from uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.writePendingW(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	if from > l.active().last {
		return nil
	}
	if from < l.segs[0].first {
		return fmt.Errorf("%w: truncate from %d below first index %d", ErrCompacted, from, l.segs[0].first)
	}
	// Whole segments go newest first, each removal synced, so a crash
	// midway leaves a contiguous (longer) log.
	for len(l.segs) > 1 && l.active().first >= from {
		s := l.active()
		l.closeSegLocked(s)
		if err := l.fs.Remove(s.path); err != nil {
			return l.failLocked(fmt.Errorf("truncate: %w", err))
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return l.failLocked(fmt.Errorf("truncate: %w", err))
		}
		l.segs = l.segs[:len(l.segs)-1]
	}
	s := l.active()
	if err := l.activate(s); err != nil {
		return l.failLocked(err)
	}
	if from <= s.last {
		cut := s.offsets.at(int(from - s.first))
		if err := s.f.Truncate(cut); err != nil {
			return l.failLocked(fmt.Errorf("truncate %s: %w", s.path, err))
		}
		if err := s.f.Sync(); err != nil {
			return l.failLocked(fmt.Errorf("fsync %s: %w", s.path, err))
		}
		if _, err := s.f.Seek(cut, io.SeekStart); err != nil {
			return l.failLocked(fmt.Errorf("truncate %s: %w", s.path, err))
		}
		s.offsets.truncate(int(from - s.first))
		s.size, s.flushed, s.alloc, s.last = cut, cut, cut, from-1
	}
	for len(l.terms) > 0 && l.terms[len(l.terms)-1].start >= from {
		l.terms = l.terms[:len(l.terms)-1]
	}
	l.flushedIdx.Store(min(l.flushedIdx.Load(), from-1))
	l.syncedIdx.Store(min(l.syncedIdx.Load(), from-1))
	return nil
}

// DropPrefix discards entries up to upTo, but only whole segments: a
// segment goes when its last entry is ≤ upTo, and the active segment never
// goes. FirstIndex may therefore stay below upTo+1 until later segments
// fill; callers must keep tolerating entries they have already snapshotted.
func (l *Log) DropPrefix(upTo uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	var drop []*segment
	for len(l.segs) > 1 && l.segs[0].last <= upTo {
		drop = append(drop, l.segs[0])
		l.segs = l.segs[1:]
	}
	first := l.segs[0].first
	k := 0
	for k+1 < len(l.terms) && l.terms[k+1].start <= first {
		k++
	}
	l.terms = l.terms[k:]
	if len(l.terms) > 0 {
		l.terms[0].start = max(l.terms[0].start, first)
	}
	l.mu.Unlock()

	// Oldest first, each removal synced: a crash midway leaves a log that
	// starts later but has no hole.
	for _, s := range drop {
		l.mu.Lock()
		l.closeSegLocked(s)
		l.mu.Unlock()
		if err := l.fs.Remove(s.path); err != nil {
			return fmt.Errorf("storage: drop prefix: %w", err)
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("storage: drop prefix: %w", err)
		}
	}
	return nil
}
