package raft

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage"
	"triad/internal/storage/vfs"
)

// group is one raft replica hosted on this node.
type group struct {
	h         *Host
	id        uint64
	replica   uint64
	dir       string
	sm        StateMachine
	st        logStorage   // raft.MemoryStorage, or disk when retain
	disk      *diskStorage // set when the group retains its log
	retain    bool
	persisted func(data [][]byte) // GroupConfig.Persisted
	segBytes  int64               // GroupConfig.SegmentBytes, or the host's
	// snapEvery is how many applied entries separate two snapshots.
	snapEvery uint64

	// mu guards the raw node and what is read and written with it.
	mu      sync.Mutex
	rn      *raft.RawNode
	nodes   map[uint64]uint64 // replica → node, for addressing messages
	removed map[uint64]bool
	reads   map[uint64]chan uint64 // ReadIndex requests by context
	heard   map[uint64]time.Time   // replica → when a message from it last arrived
	failed  error                  // sticky storage failure: the group stops

	// Owned by the ready loop.
	lg     *storage.Log
	base   uint64 // raft index = storage index + base
	hs     *hardStateFile
	lastHS hardState

	compactTo atomic.Uint64 // set by the apply goroutine, done by the ready loop
	dropTo    atomic.Uint64 // DropLogBefore's wish, done by the ready loop
	droppedTo uint64        // the last anchor dropRetained acted on; ready loop
	snapMu    sync.Mutex    // serialises snapshot file writes
	snapWG    sync.WaitGroup
	snapBusy  atomic.Bool // a snapshot file is being written in the background

	ap applier
}

func (g *group) logDir(base uint64) string {
	return filepath.Join(g.dir, fmt.Sprintf("log-%020d", base))
}
func (g *group) snapDir() string { return filepath.Join(g.dir, "snap") }

// open loads the group's durable state: hard state, latest snapshot and the
// log after it, into MemoryStorage. It returns the snapshot header (nil if
// there is none) and whether the group has no state at all.
func (g *group) open() (*snapHeader, bool, error) {
	fsys := g.h.cfg.FS
	if err := fsys.MkdirAll(g.dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("raft: group %d: %w", g.id, err)
	}
	hsf, hs, err := openHardState(fsys, filepath.Join(g.dir, "hardstate"))
	if err != nil {
		return nil, false, err
	}
	g.hs = hsf
	fresh := hsf.seq == 0
	// The file's creation must be durable before anything it records is
	// relied on (a vote, a term).
	if err := fsys.SyncDir(g.dir); err != nil {
		return nil, false, fmt.Errorf("raft: group %d: %w", g.id, err)
	}

	var hdr *snapHeader
	sidx, openSnap, ok, err := storage.LatestSnapshot(fsys, g.snapDir())
	if err != nil {
		return nil, false, err
	}
	if ok {
		fresh = false
		rc, err := openSnap()
		if err != nil {
			return nil, false, err
		}
		h, err := readSnapHeader(bufio.NewReader(rc))
		rc.Close()
		if err != nil {
			return nil, false, fmt.Errorf("raft: group %d snapshot %d: %w", g.id, sidx, err)
		}
		if h.meta.GetIndex() != sidx {
			return nil, false, fmt.Errorf("raft: group %d snapshot %d: header says index %d", g.id, sidx, h.meta.GetIndex())
		}
		hdr = &h
	}

	// The log directory with the highest base is current; older ones are
	// left over from a crash during a snapshot install.
	names, err := fsys.ReadDir(g.dir)
	if err != nil {
		return nil, false, err
	}
	var bases []uint64
	for _, n := range names {
		if s, ok := strings.CutPrefix(n, "log-"); ok {
			if b, err := strconv.ParseUint(s, 10, 64); err == nil {
				bases = append(bases, b)
			}
		}
	}
	base := uint64(0)
	if len(bases) > 0 {
		base = bases[len(bases)-1] // ReadDir sorts; names are zero-padded
	}
	for _, b := range bases[:max(len(bases)-1, 0)] {
		if err := removeAll(fsys, g.logDir(b)); err != nil {
			return nil, false, err
		}
	}
	snapIdx, snapTerm := hdr.index(), hdr.term()
	if base < snapIdx && hdr != nil {
		// Keep the log only if it holds the snapshot's entry with the
		// snapshot's term; otherwise it is a stale log from before a
		// snapshot that was received but not yet installed.
		lg, err := g.openLog(base)
		if err != nil {
			return nil, false, err
		}
		keep := false
		if lg.LastIndex()+base >= snapIdx && lg.FirstIndex()+base <= snapIdx {
			t, err := lg.Term(snapIdx - base)
			keep = err == nil && t == snapTerm
		}
		if !keep {
			lg.Close()
			if err := g.resetLog(snapIdx, base); err != nil {
				return nil, false, err
			}
			base = snapIdx
		} else {
			g.lg, g.base = lg, base
		}
	}
	if g.lg == nil {
		lg, err := g.openLog(base)
		if err != nil {
			return nil, false, err
		}
		g.lg, g.base = lg, base
	}
	if g.lg.LastIndex() >= g.lg.FirstIndex() {
		fresh = false
	}

	if g.retain {
		if hdr == nil && base > 0 {
			return nil, false, fmt.Errorf("raft: group %d: log starts after %d but there is no snapshot", g.id, base)
		}
		var snap *pb.Snapshot
		if hdr != nil {
			snap = &pb.Snapshot{Metadata: hdr.meta, Data: snapDescriptor(g.id, snapIdx)}
		}
		g.disk = newDiskStorage(g.lg, g.base, snap)
		g.st = g.disk
		if f, l := g.lg.FirstIndex()+g.base, g.lg.LastIndex()+g.base; l >= f && f > snapIdx+1 {
			return nil, false, fmt.Errorf("raft: group %d: log starts at %d, after snapshot %d", g.id, f, snapIdx)
		}
	} else if hdr != nil {
		snap := &pb.Snapshot{Metadata: hdr.meta, Data: snapDescriptor(g.id, snapIdx)}
		if err := g.st.ApplySnapshot(snap); err != nil {
			return nil, false, err
		}
	} else if base > 0 {
		return nil, false, fmt.Errorf("raft: group %d: log starts after %d but there is no snapshot", g.id, base)
	}
	first := max(g.lg.FirstIndex()+g.base, snapIdx+1)
	last := g.lg.LastIndex() + g.base
	if first > snapIdx+1 && last >= first {
		return nil, false, fmt.Errorf("raft: group %d: log starts at %d, after snapshot %d", g.id, first, snapIdx)
	}
	if last >= first && !g.retain {
		ents, err := g.lg.Entries(first-g.base, last-g.base+1, 0)
		if err != nil {
			return nil, false, fmt.Errorf("raft: group %d: load log: %w", g.id, err)
		}
		pents := make([]*pb.Entry, len(ents))
		for i, e := range ents {
			pents[i] = &pb.Entry{Index: new(e.Index + g.base), Term: new(e.Term), Type: pb.EntryType(e.Type).Enum(), Data: e.Data}
		}
		if err := g.st.Append(pents); err != nil {
			return nil, false, err
		}
	}
	// Log and hard state are synced concurrently, so the commit index may
	// have reached the disk ahead of the entries it covers; commit is only
	// knowledge, and lowering it is safe (raft learns it again).
	lastIdx, _ := g.st.LastIndex()
	hs.commit = min(max(hs.commit, snapIdx), lastIdx)
	g.lastHS = hs
	if !fresh {
		if err := g.st.SetHardState(hs.pb()); err != nil {
			return nil, false, err
		}
	}
	return hdr, fresh, nil
}

func (h *snapHeader) index() uint64 {
	if h == nil {
		return 0
	}
	return h.meta.GetIndex()
}

func (h *snapHeader) term() uint64 {
	if h == nil {
		return 0
	}
	return h.meta.GetTerm()
}

func (g *group) openLog(base uint64) (*storage.Log, error) {
	opts := storage.Options{
		SegmentBytes: cmp.Or(g.segBytes, g.h.cfg.SegmentBytes),
		Logger:       g.h.log.With("group", g.id),
	}
	if g.retain {
		// A retained log carries bulk data (record batches): zero-filling
		// ahead of it would write every byte twice. Its fsyncs then also
		// commit the file's new size, which costs less than the zeros.
		opts.PreallocBytes = -1
	}
	lg, err := storage.OpenLog(g.h.cfg.FS, g.logDir(base), opts)
	if err != nil {
		return nil, fmt.Errorf("raft: group %d: %w", g.id, err)
	}
	return lg, nil
}

// resetLog replaces the log in directory old with an empty one whose next
// raft index is base+1: the new directory is created (and synced) first,
// so a crash leaves either both (the higher base wins at open) or the new.
func (g *group) resetLog(base, old uint64) error {
	if d := g.logDir(base); base != old {
		if err := removeAll(g.h.cfg.FS, d); err != nil { // a half-made earlier attempt
			return err
		}
	}
	lg, err := g.openLog(base)
	if err != nil {
		return err
	}
	if base == old {
		// Same directory (a snapshot at the log's own base): empty it.
		if err := lg.TruncateSuffix(lg.FirstIndex()); err != nil {
			lg.Close()
			return err
		}
	}
	if err := g.h.cfg.FS.SyncDir(g.dir); err != nil {
		lg.Close()
		return err
	}
	if g.disk != nil {
		g.disk.setLog(lg, base) // before the old log closes under its readers
	}
	if g.lg != nil {
		g.lg.Close()
	}
	g.lg, g.base = lg, base
	if base != old {
		return removeAll(g.h.cfg.FS, g.logDir(old))
	}
	return nil
}

// persist writes what rd asks to be stored — snapshot install, entries, hard
// state — without syncing. It reports what needs a sync.
func (g *group) persist(rd *raft.Ready) (syncLog, syncHS bool, err error) {
	if !raft.IsEmptySnap(rd.Snapshot) {
		idx := rd.Snapshot.GetMetadata().GetIndex()
		if err := g.resetLog(idx, g.base); err != nil {
			return false, false, err
		}
		if err := g.st.ApplySnapshot(rd.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
			return false, false, err
		}
	}
	if len(rd.Entries) > 0 {
		ents := make([]storage.Entry, len(rd.Entries))
		for i, e := range rd.Entries {
			ents[i] = storage.Entry{Index: e.GetIndex() - g.base, Term: e.GetTerm(), Type: uint8(e.GetType()), Data: e.GetData()}
		}
		if err := g.lg.Append(ents...); err != nil {
			return false, false, err
		}
		if err := g.st.Append(rd.Entries); err != nil {
			return false, false, err
		}
		syncLog = true
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		hs := hardStateFromPB(rd.HardState)
		if hs != g.lastHS {
			if err := g.hs.write(hs); err != nil {
				return false, false, err
			}
			// Only a new term or vote must be durable before the Ready's
			// messages go. raft's MustSync is also true for new entries,
			// but those are made durable by the log's own fsync; a commit
			// index is knowledge that raft learns again (clamped at open).
			// Syncing the hard state with every batch of entries would
			// double the fsyncs of a busy group.
			syncHS = hs.term != g.lastHS.term || hs.vote != g.lastHS.vote
			g.lastHS = hs
		}
		if err := g.st.SetHardState(rd.HardState); err != nil {
			return false, false, err
		}
	}
	return syncLog, syncHS, nil
}

// compact drops what the apply goroutine's last snapshot made redundant.
// Ready loop only.
func (g *group) compact() {
	if g.disk != nil {
		g.dropRetained()
		return
	}
	c := g.compactTo.Swap(0)
	if c == 0 {
		return
	}
	if err := g.st.Compact(c); err != nil && !errors.Is(err, raft.ErrCompacted) {
		g.h.log.Warn("raft: compact entry cache", "group", g.id, "index", c, "err", err)
	}
	if c > g.base {
		if err := g.lg.DropPrefix(c - g.base); err != nil {
			g.h.log.Warn("raft: drop log prefix", "group", g.id, "index", c, "err", err)
		}
	}
}

// dropRetained drops what DropLogBefore allowed from a retained log:
// whole segments below the wished index, keeping the entry just below it
// (raft's anchor) and everything after the latest snapshot (a restart
// replays it). Ready loop only.
func (g *group) dropRetained() {
	want := g.dropTo.Load()
	if want == 0 {
		return
	}
	keep := min(want-1, g.disk.snapIndex()) // the anchor: the first entry kept
	if keep <= g.base+1 || keep <= g.droppedTo {
		return
	}
	g.droppedTo = keep
	if err := g.lg.DropPrefix(keep - 1 - g.base); err != nil {
		g.h.log.Warn("raft: drop retained log prefix", "group", g.id, "before", keep, "err", err)
	}
}

func (g *group) close() {
	if g.lg != nil {
		g.lg.Close()
	}
	if g.hs != nil {
		g.hs.close()
	}
}

// removeAll removes dir and everything under it; a missing dir is fine.
func removeAll(fsys vfs.FS, dir string) error {
	names, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := fsys.Stat(p); err == nil && st.IsDir() {
			if err := removeAll(fsys, p); err != nil {
				return err
			}
			continue
		}
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := fsys.SyncDir(dir); err != nil {
		return err
	}
	if err := fsys.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fsys.SyncDir(filepath.Dir(dir))
}
