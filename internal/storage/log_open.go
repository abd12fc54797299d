package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"triad/internal/storage/vfs"
)

// OpenLog opens the log in dir, creating dir and an empty log (first index
// 1) if there is none. It checks every record: a torn or corrupt tail of the
// last segment is truncated with a warning; damage anywhere else fails with
// a *CorruptionError, or with Options.Repair truncates the log there.
func OpenLog(fsys vfs.FS, dir string, opts Options) (*Log, error) {
	opts = opts.withDefaults()
	l := &Log{fs: fsys, dir: dir, opts: opts, logger: opts.Logger}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: open log: %w", err)
	}
	if err := removeRewrites(fsys, dir); err != nil {
		return nil, fmt.Errorf("storage: open log: %w", err)
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: open log: %w", err)
	}
	var firsts []uint64
	for _, n := range names {
		if first, ok := parseSegmentName(n); ok {
			firsts = append(firsts, first) // sorted: names are zero-padded
		}
	}
	if len(firsts) == 0 {
		s, err := l.createSegment(1)
		if err != nil {
			return nil, err
		}
		l.segs = []*segment{s}
	} else if err := l.load(firsts); err != nil {
		l.closeFiles()
		return nil, err
	}
	// Whatever survived the last run may sit only in the page cache (a
	// process kill keeps it); sync it so SyncedIndex starts honest.
	act := l.active()
	if err := act.f.Sync(); err != nil {
		l.closeFiles()
		return nil, fmt.Errorf("storage: open log: sync %s: %w", act.path, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		l.closeFiles()
		return nil, fmt.Errorf("storage: open log: %w", err)
	}
	l.flushedIdx.Store(act.last)
	l.syncedIdx.Store(act.last)
	return l, nil
}

func (l *Log) closeFiles() {
	for _, s := range l.segs {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
	}
}

// createSegment makes a new, empty segment file holding just the header.
// The caller syncs the directory.
func (l *Log) createSegment(first uint64) (*segment, error) {
	p := l.path(first)
	f, err := l.fs.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: create segment: %w", err)
	}
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: create segment %s: %w", p, err)
	}
	h := int64(segmentHeader)
	return &segment{first: first, last: first - 1, path: p, size: h, flushed: h, alloc: h, f: f, rw: true}, nil
}

// scan is what reading one segment found.
type scan struct {
	offsets offsetList
	terms   []termRun
	end     int64 // end of the last good record (0: no valid header)
	size    int64 // the file's size (past end: a zero-filled tail)
	bad     *CorruptionError
	tail    bool // bad is a torn tail: last segment, nothing valid after it
}

// load reads every segment, applying the tail and repair rules.
func (l *Log) load(firsts []uint64) error {
	for i, first := range firsts {
		isLast := i == len(firsts)-1
		s := &segment{first: first, last: first - 1, path: l.path(first)}
		var sc scan
		if n := len(l.segs); n > 0 && first != l.segs[n-1].last+1 {
			sc.bad = &CorruptionError{File: s.path, Reason: fmt.Sprintf(
				"segment starts at index %d, expected %d", first, l.segs[n-1].last+1)}
		} else {
			var err error
			if sc, err = l.scanSegment(s, isLast); err != nil {
				return err
			}
		}
		if sc.bad != nil {
			switch {
			case sc.tail:
				l.logger.Warn("storage: truncating torn log tail",
					"file", s.path, "offset", sc.bad.Offset, "reason", sc.bad.Reason)
			case l.opts.Repair:
				l.logger.Error("storage: REPAIR: truncating log at corruption; later entries are discarded",
					"file", s.path, "offset", sc.bad.Offset, "reason", sc.bad.Reason,
					"segments_removed", len(firsts)-i-1)
				if err := l.removeSegmentFiles(firsts[i+1:]); err != nil {
					return err
				}
			default:
				if s.f != nil {
					s.f.Close()
				}
				return sc.bad
			}
			if sc.end < int64(segmentHeader) && len(l.segs) > 0 {
				// Nothing usable in it and a predecessor can take over.
				if s.f != nil {
					s.f.Close()
				}
				if err := l.removeSegmentFiles([]uint64{first}); err != nil {
					return err
				}
				return l.activate(l.active())
			}
			if err := l.truncateAtOpen(s, sc.end); err != nil {
				return err
			}
		}
		s.offsets = sc.offsets
		s.last = first + uint64(sc.offsets.len()) - 1
		s.size = max(sc.end, int64(segmentHeader))
		s.flushed = s.size
		s.alloc = s.size
		if sc.bad == nil && sc.size > s.size {
			s.alloc = sc.size // a zero-filled tail, written over next
		}
		for _, r := range sc.terms {
			l.pushTermLocked(r.start, r.term)
		}
		l.segs = append(l.segs, s)
		if sc.bad != nil {
			break // repaired: later segments were removed
		}
		if !isLast && s.f != nil {
			s.f.Close() // reopened read-only on first read
			s.f = nil
		}
	}
	return l.activate(l.active())
}

// removeSegmentFiles removes segments newest first, syncing the directory
// after each so that a crash midway leaves a contiguous log.
func (l *Log) removeSegmentFiles(firsts []uint64) error {
	for i := len(firsts) - 1; i >= 0; i-- {
		p := l.path(firsts[i])
		if err := l.fs.Remove(p); err != nil {
			return fmt.Errorf("storage: remove segment: %w", err)
		}
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("storage: remove segment %s: %w", p, err)
		}
	}
	return nil
}

// truncateAtOpen cuts s at end (rewriting the header if it is gone) and
// makes the cut durable before anything new is appended after it: a cut
// undone by a crash could otherwise resurface stale records.
func (l *Log) truncateAtOpen(s *segment, end int64) error {
	if s.f == nil || !s.rw {
		if s.f != nil {
			s.f.Close()
		}
		f, err := l.fs.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("storage: repair: %w", err)
		}
		s.f, s.rw = f, true
	}
	if end < int64(segmentHeader) {
		end = 0
	}
	if err := s.f.Truncate(end); err != nil {
		return fmt.Errorf("storage: truncate %s: %w", s.path, err)
	}
	if end == 0 {
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("storage: truncate %s: %w", s.path, err)
		}
		if _, err := s.f.Write([]byte(segmentMagic)); err != nil {
			return fmt.Errorf("storage: rewrite header of %s: %w", s.path, err)
		}
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("storage: truncate %s: %w", s.path, err)
	}
	return nil
}

// activate makes s the segment appends go to: a read-write handle
// positioned at its end.
func (l *Log) activate(s *segment) error {
	if s.f == nil || !s.rw {
		l.closeSegLocked(s)
		f, err := l.fs.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("storage: open segment: %w", err)
		}
		s.f, s.rw = f, true
	}
	if _, err := s.f.Seek(s.size, io.SeekStart); err != nil {
		return fmt.Errorf("storage: open segment %s: %w", s.path, err)
	}
	return nil
}

// scanSegment reads every record of s, checking checksums and that indexes
// follow on from s.first. It stops at the first bad record.
func (l *Log) scanSegment(s *segment, isLast bool) (scan, error) {
	flag := os.O_RDONLY
	if isLast {
		flag = os.O_RDWR
	}
	f, err := l.fs.OpenFile(s.path, flag, 0)
	if err != nil {
		return scan{}, fmt.Errorf("storage: open log: %w", err)
	}
	s.f, s.rw = f, isLast
	st, err := f.Stat()
	if err != nil {
		return scan{}, fmt.Errorf("storage: open log: %w", err)
	}
	size := st.Size()
	sc := scan{size: size}
	badAt := func(off int64, reason string) (scan, error) {
		// The last segment's preallocated space: zeros from here to the
		// end of the file are its clean end, not damage.
		if isLast && off >= int64(segmentHeader) {
			if zero, err := zeroFrom(f, off, size); err != nil {
				return scan{}, err
			} else if zero {
				return sc, nil
			}
		}
		sc.bad = &CorruptionError{File: s.path, Offset: off, Reason: reason}
		if !isLast {
			return sc, nil
		}
		// A bad record ends a torn tail only if nothing valid follows it.
		after, err := validRecordAfter(f, off, size, s.first+uint64(sc.offsets.len())-1)
		if err != nil {
			return scan{}, err
		}
		if after >= 0 {
			sc.bad.Reason += fmt.Sprintf(" (a valid record follows at offset %d)", after)
		} else {
			sc.tail = true
		}
		return sc, nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 256<<10)
	hdr := make([]byte, segmentHeader)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr) != segmentMagic {
		return badAt(0, "bad segment header")
	}
	off := int64(segmentHeader)
	sc.end = off
	var buf []byte
	for off < size {
		peek, _ := r.Peek(recordHeader)
		n, err := bodyLen(peek, size-off)
		if err != nil {
			return badAt(off, err.Error())
		}
		total := recordHeader + n
		if cap(buf) < total {
			buf = make([]byte, total) // bounded by the file's size, checked above
		}
		buf = buf[:total]
		if _, err := io.ReadFull(r, buf); err != nil {
			return scan{}, fmt.Errorf("storage: read %s: %w", s.path, err)
		}
		e, _, err := decodeRecord(buf)
		if err != nil {
			return badAt(off, err.Error())
		}
		if want := s.first + uint64(sc.offsets.len()); e.Index != want {
			return badAt(off, fmt.Sprintf("record has index %d, expected %d", e.Index, want))
		}
		sc.offsets.push(off)
		if k := len(sc.terms); k == 0 || sc.terms[k-1].term != e.Term {
			sc.terms = append(sc.terms, termRun{start: e.Index, term: e.Term})
		}
		off += int64(total)
		sc.end = off
	}
	return sc, nil
}

// zeroFrom reports whether the file holds only zero bytes from off to size.
func zeroFrom(f vfs.File, off, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for _, b := range buf[:n] {
			if b != 0 {
				return false, nil
			}
		}
		off += int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return true, nil
			}
			return false, fmt.Errorf("storage: read tail: %w", err)
		}
	}
	return true, nil
}

// validRecordAfter looks for a well-formed record with an index above last
// anywhere after off; its offset, or -1. Used only on a damaged tail, so a
// byte-by-byte search is affordable; the index check rejects almost every
// position before any checksum is computed.
func validRecordAfter(f vfs.File, off, size int64, last uint64) (int64, error) {
	if size-off <= 1 {
		return -1, nil
	}
	b := make([]byte, size-off-1) // bounded by the segment's size
	if _, err := f.ReadAt(b, off+1); err != nil && !errors.Is(err, io.EOF) {
		return -1, fmt.Errorf("storage: read tail: %w", err)
	}
	for p := 0; p+recordHeader+recordFixed <= len(b); p++ {
		idx := binary.LittleEndian.Uint64(b[p+recordHeader:])
		if idx <= last || idx-last > 1<<32 {
			continue
		}
		if _, _, err := decodeRecord(b[p:]); err == nil {
			return off + 1 + int64(p), nil
		}
	}
	return -1, nil
}
