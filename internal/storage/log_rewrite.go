package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"triad/internal/storage/vfs"
)

// rewriteSuffix names a segment being rewritten; a crash can leave one,
// which OpenLog removes (the original is intact until the rename).
const rewriteSuffix = ".rewrite"

// SegmentInfo describes one sealed segment.
type SegmentInfo struct {
	First, Last uint64
	Bytes       int64
}

// Sealed lists the sealed segments (every one but the active), oldest
// first.
func (l *Log) Sealed() []SegmentInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []SegmentInfo
	for _, s := range l.segs[:len(l.segs)-1] {
		out = append(out, SegmentInfo{First: s.first, Last: s.last, Bytes: s.size})
	}
	return out
}

// Rewrite replaces the data of the entries of the sealed segment that
// starts at first: fn returns an entry's new data, or nil to keep it.
// Indexes, terms and types stay. The new segment is written beside the
// old one, fsynced and renamed over it, and the directory synced, so a
// crash leaves either file whole; readers see one or the other. It
// reports whether anything changed. For log compaction: the caller must
// keep every replica's view of the data equivalent (Kafka's cleaner
// rules), since raft may send rewritten entries to a follower.
func (l *Log) Rewrite(first uint64, fn func(e Entry) []byte) (bool, error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	var seg *segment
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.first == first {
			seg = s
		}
	}
	l.mu.Unlock()
	if seg == nil {
		return false, fmt.Errorf("storage: rewrite: no sealed segment starts at %d", first)
	}
	ents, err := l.Entries(seg.first, seg.last+1, 0)
	if err != nil {
		return false, err
	}
	changed := false
	for i := range ents {
		if d := fn(ents[i]); d != nil {
			ents[i].Data = d
			changed = true
		}
	}
	if !changed {
		return false, nil
	}
	tmp := seg.path + rewriteSuffix
	f, err := l.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return false, fmt.Errorf("storage: rewrite: %w", err)
	}
	buf := []byte(segmentMagic)
	var offsets offsetList
	for i := range ents {
		offsets.push(int64(len(buf)))
		buf = appendRecord(buf, &ents[i])
	}
	fail := func(err error) (bool, error) {
		f.Close()
		l.fs.Remove(tmp)
		return false, fmt.Errorf("storage: rewrite %s: %w", seg.path, err)
	}
	if _, err := f.Write(buf); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := l.fs.Rename(tmp, seg.path); err != nil {
		return fail(err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		// The rename happened; it is durable at the next directory sync.
		l.logger.Warn("storage: rewrite: sync dir", "dir", l.dir, "err", err)
	}
	l.mu.Lock()
	l.closeSegLocked(seg)
	seg.f, seg.rw = f, false
	seg.offsets = offsets
	seg.size, seg.flushed, seg.alloc = int64(len(buf)), int64(len(buf)), int64(len(buf))
	l.mu.Unlock()
	return true, nil
}

// removeRewrites deletes the half-written rewrites a crash left in dir.
func removeRewrites(fsys vfs.FS, dir string) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasSuffix(n, rewriteSuffix) {
			if err := fsys.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
