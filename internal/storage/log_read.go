package storage

import (
	"fmt"
	"os"
	"sort"
)

// Entries returns the entries with indexes in [lo, hi), stopping before the
// total encoded size would pass maxBytes but always returning at least one
// (Raft's rule, so a huge entry cannot stall a follower). maxBytes 0 means
// no limit. Entries still buffered are flushed first. The returned Data may
// share one allocation; it is never reused by the log.
func (l *Log) Entries(lo, hi, maxBytes uint64) ([]Entry, error) {
	if lo >= hi {
		return nil, nil
	}
	if hi-1 > l.flushedIdx.Load() {
		if err := l.Flush(); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.boundsLocked(lo); err != nil {
		return nil, err
	}
	if err := l.boundsLocked(hi - 1); err != nil {
		return nil, err
	}
	if hi-1 > l.flushedIdx.Load() {
		// Appended between our Flush and taking the lock: serve what is
		// on disk; the caller asks again.
		hi = l.flushedIdx.Load() + 1
		if lo >= hi {
			return nil, fmt.Errorf("%w: %d is not flushed yet", ErrUnavailable, lo)
		}
	}
	var out []Entry
	var total uint64
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].last >= lo })
	for i := lo; i < hi && k < len(l.segs); k++ {
		s := l.segs[k]
		// Decide how many entries fit before reading, from the offsets.
		start := s.offsets.at(int(i - s.first))
		j := i
		for ; j < hi && j <= s.last; j++ {
			sz := uint64(s.recordEnd(j) - s.offsets.at(int(j-s.first)))
			if maxBytes > 0 && total+sz > maxBytes && len(out)+int(j-i) > 0 {
				break
			}
			total += sz
		}
		if j == i {
			return out, nil
		}
		end := s.recordEnd(j - 1)
		ents, err := l.readLocked(s, start, end, i, j)
		if err != nil {
			return nil, err
		}
		out = append(out, ents...)
		if j <= s.last {
			return out, nil // stopped by maxBytes
		}
		i = j
	}
	return out, nil
}

// readLocked reads and verifies the records of entries [i, j) of s, which
// occupy bytes [start, end).
func (l *Log) readLocked(s *segment, start, end int64, i, j uint64) ([]Entry, error) {
	if s.f == nil {
		f, err := l.fs.OpenFile(s.path, os.O_RDONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("storage: read log: %w", err)
		}
		s.f = f
	}
	buf := make([]byte, end-start)
	if n, err := s.f.ReadAt(buf, start); n < len(buf) {
		return nil, fmt.Errorf("storage: read %s at %d: %w", s.path, start, err)
	}
	out := make([]Entry, 0, j-i)
	for p := 0; i < j; i++ {
		e, n, err := decodeRecord(buf[p:])
		if err == nil && e.Index != i {
			err = fmt.Errorf("record has index %d, expected %d", e.Index, i)
		}
		if err != nil {
			return nil, &CorruptionError{File: s.path, Offset: start + int64(p), Reason: err.Error()}
		}
		out = append(out, e)
		p += n
	}
	return out, nil
}
