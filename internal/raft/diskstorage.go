package raft

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage"
)

// logStorage is what a group's RawNode reads (raft.Storage) and what the
// ready loop writes. raft.MemoryStorage is one (groups whose state machine
// holds their whole state: the log is only a redo log, dropped behind
// snapshots); diskStorage is the other (groups whose log is their data).
type logStorage interface {
	raft.Storage
	Append(ents []*pb.Entry) error
	ApplySnapshot(snap *pb.Snapshot) error
	SetHardState(hs *pb.HardState) error
	CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (*pb.Snapshot, error)
	Compact(i uint64) error
}

// The newest entries of a diskStorage stay in memory for the apply
// goroutine and for followers that keep up. Entries not yet applied stay
// (up to diskCacheMax): the apply goroutine is about to read them, and a
// read from the files would cost more than the memory. Of the applied ones,
// only diskCacheBytes stay. A per-group budget this small matters with
// many busy partitions: 8 MiB each kept ~100 MB of large, short-lived
// buffers live on 12 partitions, and the garbage collector's churn over
// them (page faults on reused memory) cost a third of produce throughput
// (triad-bench queue, produce-1k-12p, alternating: 101–132 MB/s with a
// flat 8 MiB, 183–189 MB/s with this rule; one partition unchanged).
const (
	diskCacheBytes = 1 << 20
	diskCacheMax   = 64 << 20
)

// diskStorage is the raft.Storage of a group with GroupConfig.RetainLog:
// its on-disk log is the group's data (a queue partition's record batches)
// and is not dropped behind snapshots, only by DropLogBefore. Raft reads
// the newest entries from a small cache and older ones from the log files,
// so a follower far behind catches up from the log, not by a snapshot,
// as long as the entries are retained.
//
// The entry at the log's first index is kept as the anchor raft needs
// (the term of the entry before FirstIndex), so FirstIndex is the log's
// first index + 1, or the snapshot's index + 1 if the log starts after it.
//
// Methods are called by raft (under the group's mutex, from the ready loop
// and from message handling) and by readers of the data (ReadEntries); mu
// guards the fields, and the log pointer changes only under it.
type diskStorage struct {
	mu    sync.RWMutex
	lg    *storage.Log
	base  uint64 // raft index = log index + base
	hs    *pb.HardState
	snap  *pb.Snapshot
	last  uint64
	cache []*pb.Entry // contiguous, ending at last; may be empty
	bytes int
	// applied is the group's applied index (set by the apply goroutine):
	// cached entries above it are not evicted below diskCacheMax.
	applied atomic.Uint64
	// handed is the last committed entry handed to the apply goroutine:
	// readers of the data see entries up to it (never uncommitted ones),
	// which includes every entry the state machine has applied, even
	// before the group's applied index catches up.
	handed atomic.Uint64
}

func newDiskStorage(lg *storage.Log, base uint64, snap *pb.Snapshot) *diskStorage {
	d := &diskStorage{lg: lg, base: base, hs: &pb.HardState{}, snap: snap}
	if d.snap == nil {
		d.snap = &pb.Snapshot{Metadata: &pb.SnapshotMetadata{ConfState: &pb.ConfState{}}}
	}
	d.last = d.snap.GetMetadata().GetIndex()
	if lg.LastIndex() >= lg.FirstIndex() {
		d.last = max(d.last, lg.LastIndex()+base)
	}
	return d
}

// setLog replaces the log (a snapshot install reset it).
func (d *diskStorage) setLog(lg *storage.Log, base uint64) {
	d.mu.Lock()
	d.lg, d.base = lg, base
	d.mu.Unlock()
}

func (d *diskStorage) InitialState() (*pb.HardState, *pb.ConfState, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.hs, d.snap.GetMetadata().GetConfState(), nil
}

func (d *diskStorage) SetHardState(hs *pb.HardState) error {
	d.mu.Lock()
	d.hs = hs
	d.mu.Unlock()
	return nil
}

func (d *diskStorage) firstLocked() uint64 {
	s := d.snap.GetMetadata().GetIndex()
	if d.lg.LastIndex() >= d.lg.FirstIndex() {
		if f := d.lg.FirstIndex() + d.base; f <= s {
			return f + 1
		}
	}
	return s + 1
}

func (d *diskStorage) FirstIndex() (uint64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.firstLocked(), nil
}

func (d *diskStorage) LastIndex() (uint64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.last, nil
}

func (d *diskStorage) Term(i uint64) (uint64, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.termLocked(i)
}

func (d *diskStorage) termLocked(i uint64) (uint64, error) {
	if i == d.snap.GetMetadata().GetIndex() {
		return d.snap.GetMetadata().GetTerm(), nil
	}
	if i < d.firstLocked()-1 {
		return 0, raft.ErrCompacted
	}
	if i > d.last {
		return 0, raft.ErrUnavailable
	}
	if n := len(d.cache); n > 0 && i >= d.cache[0].GetIndex() {
		return d.cache[i-d.cache[0].GetIndex()].GetTerm(), nil
	}
	t, err := d.lg.Term(i - d.base)
	if err != nil {
		return 0, fmt.Errorf("raft: term of %d: %w", i, err)
	}
	return t, nil
}

func (d *diskStorage) Entries(lo, hi, maxSize uint64) ([]*pb.Entry, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if lo < d.firstLocked() {
		return nil, raft.ErrCompacted
	}
	if hi > d.last+1 {
		return nil, fmt.Errorf("raft: entries [%d, %d) past last %d: %w", lo, hi, d.last, raft.ErrUnavailable)
	}
	if n := len(d.cache); n > 0 && lo >= d.cache[0].GetIndex() {
		c0 := d.cache[0].GetIndex()
		ents := d.cache[lo-c0 : hi-c0]
		var size uint64
		for k, e := range ents {
			size += uint64(len(e.GetData())) + 16
			if k > 0 && maxSize > 0 && size > maxSize {
				ents = ents[:k]
				break
			}
		}
		return append([]*pb.Entry(nil), ents...), nil
	}
	// Read the files without holding mu, so that appends (the ready
	// loop) do not wait for the disk; the log supports concurrent readers.
	lg, base := d.lg, d.base
	d.mu.RUnlock()
	ents, err := lg.Entries(lo-base, hi-base, maxSize)
	d.mu.RLock()
	if err != nil {
		if errors.Is(err, storage.ErrCompacted) {
			return nil, raft.ErrCompacted
		}
		return nil, fmt.Errorf("raft: read entries [%d, %d): %w", lo, hi, err)
	}
	out := make([]*pb.Entry, len(ents))
	for k, e := range ents {
		out[k] = &pb.Entry{Index: new(e.Index + base), Term: new(e.Term), Type: pb.EntryType(e.Type).Enum(), Data: e.Data}
	}
	return out, nil
}

func (d *diskStorage) Snapshot() (*pb.Snapshot, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.snap, nil
}

// Append records entries the ready loop has just written to the log.
func (d *diskStorage) Append(ents []*pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	first := ents[0].GetIndex()
	if first > d.last+1 {
		return fmt.Errorf("raft: append at %d after last %d", first, d.last)
	}
	// Drop a conflicting suffix from the cache (the log already did).
	if n := len(d.cache); n > 0 {
		c0 := d.cache[0].GetIndex()
		switch {
		case first <= c0:
			d.cache, d.bytes = nil, 0
		case first <= d.last:
			for _, e := range d.cache[first-c0:] {
				d.bytes -= len(e.GetData())
			}
			d.cache = d.cache[:first-c0]
		}
	}
	if n := len(d.cache); n > 0 && d.cache[n-1].GetIndex()+1 != first {
		d.cache, d.bytes = nil, 0
	}
	for _, e := range ents {
		d.cache = append(d.cache, e)
		d.bytes += len(e.GetData())
	}
	applied := d.applied.Load()
	for len(d.cache) > 1 && (d.bytes > diskCacheMax || d.bytes > diskCacheBytes && d.cache[0].GetIndex() <= applied) {
		d.bytes -= len(d.cache[0].GetData())
		d.cache[0] = nil
		d.cache = d.cache[1:]
	}
	d.last = ents[len(ents)-1].GetIndex()
	return nil
}

// ApplySnapshot installs a received snapshot; the ready loop has already
// reset the log to start after it (setLog).
func (d *diskStorage) ApplySnapshot(snap *pb.Snapshot) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if snap.GetMetadata().GetIndex() <= d.snap.GetMetadata().GetIndex() {
		return raft.ErrSnapOutOfDate
	}
	d.snap = snap
	d.cache, d.bytes = nil, 0
	d.last = snap.GetMetadata().GetIndex()
	return nil
}

// CreateSnapshot records a snapshot the state machine took at i.
func (d *diskStorage) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (*pb.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i <= d.snap.GetMetadata().GetIndex() {
		return nil, raft.ErrSnapOutOfDate
	}
	if i > d.last {
		return nil, fmt.Errorf("raft: snapshot %d past last %d", i, d.last)
	}
	t, err := d.termLocked(i)
	if err != nil {
		return nil, err
	}
	d.snap = &pb.Snapshot{Metadata: &pb.SnapshotMetadata{Index: new(i), Term: new(t), ConfState: cs}, Data: data}
	return d.snap, nil
}

// Compact is a no-op: the log is the data and goes only by DropLogBefore;
// the cache is bounded by size on its own.
func (d *diskStorage) Compact(uint64) error { return nil }

// snapIndex is the latest snapshot's index.
func (d *diskStorage) snapIndex() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.snap.GetMetadata().GetIndex()
}

// read returns committed entries [lo, hi) for the state machine's readers,
// at most maxBytes of them (at least one).
func (d *diskStorage) read(lo, hi, maxBytes uint64) ([]Committed, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if hi > d.last+1 {
		hi = d.last + 1
	}
	if lo >= hi {
		return nil, nil
	}
	if lo < d.lg.FirstIndex()+d.base {
		return nil, fmt.Errorf("raft: read %d: %w", lo, ErrLogDropped)
	}
	var out []Committed
	add := func(index, term uint64, typ pb.EntryType, data []byte) {
		c := Committed{Index: index, Term: term}
		if typ == pb.EntryNormal {
			c.Data = data
		}
		out = append(out, c)
	}
	if n := len(d.cache); n > 0 && lo >= d.cache[0].GetIndex() {
		var size uint64
		c0 := d.cache[0].GetIndex()
		for _, e := range d.cache[lo-c0 : hi-c0] {
			size += uint64(len(e.GetData()))
			if len(out) > 0 && maxBytes > 0 && size > maxBytes {
				break
			}
			add(e.GetIndex(), e.GetTerm(), e.GetType(), e.GetData())
		}
		return out, nil
	}
	lg, base := d.lg, d.base
	d.mu.RUnlock() // read the files without blocking appends (see Entries)
	ents, err := lg.Entries(lo-base, hi-base, maxBytes)
	d.mu.RLock()
	if err != nil {
		if errors.Is(err, storage.ErrClosed) {
			err = fmt.Errorf("%w (the log was replaced by a snapshot install): %w", ErrLogDropped, err)
		}
		return nil, fmt.Errorf("raft: read entries [%d, %d): %w", lo, hi, err)
	}
	for _, e := range ents {
		add(e.Index+base, e.Term, pb.EntryType(e.Type), e.Data)
	}
	return out, nil
}

// regions returns the data of entries idx (ascending) as file regions.
func (d *diskStorage) regions(idx []uint64, skip int64) (*storage.Regions, error) {
	d.mu.RLock()
	lg, base := d.lg, d.base
	first := lg.FirstIndex() + base
	d.mu.RUnlock()
	if len(idx) > 0 && idx[0] < first {
		return nil, fmt.Errorf("raft: read %d: %w", idx[0], ErrLogDropped)
	}
	local := make([]uint64, len(idx))
	for k, i := range idx {
		local[k] = i - base
	}
	r, err := lg.DataRegions(local, skip)
	if err != nil {
		if errors.Is(err, storage.ErrClosed) || errors.Is(err, storage.ErrCompacted) {
			err = fmt.Errorf("%w (the log was replaced by a snapshot install or dropped): %w", ErrLogDropped, err)
		}
		return nil, fmt.Errorf("raft: entry regions: %w", err)
	}
	return r, nil
}

// forget drops cached entries up to index last, whose data was rewritten
// on disk (compaction): later reads go to the files.
func (d *diskStorage) forget(last uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.cache) > 0 && d.cache[0].GetIndex() <= last {
		d.bytes -= len(d.cache[0].GetData())
		d.cache[0] = nil
		d.cache = d.cache[1:]
	}
}
