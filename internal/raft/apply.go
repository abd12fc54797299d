package raft

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage"
)

// applyItem is one hand-off from the ready loop to a group's apply
// goroutine: an optional snapshot to restore, then committed entries.
type applyItem struct {
	restore *pb.SnapshotMetadata
	ents    []Committed
}

// applier is a group's apply goroutine and what it owns.
type applier struct {
	mu    sync.Mutex
	queue []applyItem
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}

	appliedMu sync.Mutex
	applied   uint64
	appliedCh chan struct{} // closed and replaced whenever applied moves

	// Owned by the apply goroutine.
	term      uint64
	confState *pb.ConfState
	nodes     map[uint64]uint64
	removed   map[uint64]bool
	lastSnap  uint64
}

func (g *group) enqueue(it applyItem) {
	g.ap.mu.Lock()
	g.ap.queue = append(g.ap.queue, it)
	g.ap.mu.Unlock()
	select {
	case g.ap.wake <- struct{}{}:
	default:
	}
}

func (g *group) runApply() {
	defer close(g.ap.done)
	for {
		select {
		case <-g.ap.wake:
		case <-g.ap.stop:
			return
		}
		for {
			g.ap.mu.Lock()
			q := g.ap.queue
			g.ap.queue = nil
			g.ap.mu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, it := range q {
				if err := g.applyOne(it); err != nil {
					g.fail(err)
					return
				}
			}
		}
	}
}

func (g *group) applyOne(it applyItem) error {
	if it.restore != nil {
		if err := g.restore(it.restore.GetIndex()); err != nil {
			return err
		}
	}
	// Entries at or below applied were covered by a restored snapshot.
	ents := it.ents
	applied := g.appliedIndex()
	for len(ents) > 0 && ents[0].Index <= applied {
		ents = ents[1:]
	}
	if len(ents) == 0 {
		return nil
	}
	for _, e := range ents {
		if cc := e.ConfChange; cc != nil {
			g.ap.confState = e.cs
			switch cc.Type {
			case AddLearner:
				g.ap.nodes[cc.ReplicaID] = cc.NodeID
			case RemoveMember:
				delete(g.ap.nodes, cc.ReplicaID)
				g.ap.removed[cc.ReplicaID] = true
			}
		}
	}
	g.sm.Apply(ents)
	for _, e := range ents {
		if e.ConfChange != nil && e.ccID != 0 {
			g.h.confWait.Trigger(e.ccID, nil)
		}
	}
	last := ents[len(ents)-1]
	g.ap.term = last.Term
	g.setApplied(last.Index)
	if last.Index-g.ap.lastSnap >= g.snapEvery {
		if err := g.takeSnapshot(last.Index); err != nil {
			// Not fatal: the log still holds everything; retry next time.
			g.h.log.Error("raft: snapshot failed", "group", g.id, "index", last.Index, "err", err)
		}
	}
	return nil
}

func (g *group) setApplied(i uint64) {
	if g.disk != nil {
		g.disk.applied.Store(i)
		for { // applied entries are committed: handed is at least i
			h := g.disk.handed.Load()
			if h >= i || g.disk.handed.CompareAndSwap(h, i) {
				break
			}
		}
	}
	g.ap.appliedMu.Lock()
	g.ap.applied = i
	close(g.ap.appliedCh)
	g.ap.appliedCh = make(chan struct{})
	g.ap.appliedMu.Unlock()
}

func (g *group) appliedIndex() uint64 {
	g.ap.appliedMu.Lock()
	defer g.ap.appliedMu.Unlock()
	return g.ap.applied
}

// waitApplied returns once the state machine has applied index i.
func (g *group) waitApplied(ctx context.Context, i uint64) error {
	for {
		g.ap.appliedMu.Lock()
		applied, ch := g.ap.applied, g.ap.appliedCh
		g.ap.appliedMu.Unlock()
		if applied >= i {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-g.ap.done:
			return g.errOr(ErrClosed)
		}
	}
}

// restore replaces the state machine's state with the snapshot file at
// index, which must be the newest one in the snapshot directory.
func (g *group) restore(index uint64) error {
	g.snapMu.Lock()
	idx, open, ok, err := storage.LatestSnapshot(g.h.cfg.FS, g.snapDir())
	if err == nil && (!ok || idx != index) {
		err = fmt.Errorf("raft: group %d: snapshot %d to restore is not the newest file (found %d, %v)", g.id, index, idx, ok)
	}
	var rc io.ReadCloser
	if err == nil {
		rc, err = open()
	}
	g.snapMu.Unlock()
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	hdr, err := readSnapHeader(br)
	if err != nil {
		return err
	}
	if err := g.sm.Restore(br); err != nil {
		return fmt.Errorf("raft: group %d: restore snapshot %d: %w", g.id, index, err)
	}
	// Reading to the end checks the file's checksum.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return fmt.Errorf("raft: group %d: snapshot %d: %w", g.id, index, err)
	}
	g.ap.confState = hdr.meta.GetConfState()
	g.ap.nodes = hdr.nodes
	g.ap.removed = hdr.removed
	g.ap.term = hdr.meta.GetTerm()
	g.ap.lastSnap = index
	g.setApplied(index)
	return nil
}

// takeSnapshot freezes the state machine's state at the last applied index
// (on the apply goroutine: Snapshot must return a frozen view) and writes
// it to a file in the background, so applying goes on meanwhile; then it
// registers the snapshot with MemoryStorage and asks the ready loop to
// compact behind it. One snapshot is written at a time; while one is in
// flight, later ones are skipped (the log still holds everything).
func (g *group) takeSnapshot(index uint64) error {
	if !g.snapBusy.CompareAndSwap(false, true) {
		return nil
	}
	rc, err := g.sm.Snapshot()
	if err != nil {
		g.snapBusy.Store(false)
		return err
	}
	cs := g.ap.confState
	if cs == nil {
		cs = &pb.ConfState{}
	}
	cs = proto.Clone(cs).(*pb.ConfState)
	hdr := snapHeader{
		meta:    &pb.SnapshotMetadata{Index: new(index), Term: new(g.ap.term), ConfState: cs},
		nodes:   maps.Clone(g.ap.nodes),
		removed: maps.Clone(g.ap.removed),
	}
	g.ap.lastSnap = index
	g.snapWG.Go(func() {
		defer g.snapBusy.Store(false)
		defer rc.Close()
		if err := g.writeSnapshot(index, cs, hdr, rc); err != nil {
			// Not fatal: the log still holds everything; the next
			// snapshot is due after SnapshotEntries more entries.
			g.h.log.Error("raft: snapshot failed", "group", g.id, "index", index, "err", err)
		}
	})
	return nil
}

func (g *group) writeSnapshot(index uint64, cs *pb.ConfState, hdr snapHeader, rc io.Reader) error {
	g.snapMu.Lock()
	path, err := storage.WriteSnapshotFile(g.h.cfg.FS, g.snapDir(), index, func(w io.Writer) error {
		if err := writeSnapHeader(w, hdr); err != nil {
			return err
		}
		_, err := io.Copy(w, rc)
		return err
	})
	g.snapMu.Unlock()
	if path == "" {
		return err
	}
	if err != nil {
		g.h.log.Warn("raft: snapshot clean-up", "group", g.id, "err", err)
	}
	if _, err := g.st.CreateSnapshot(index, cs, snapDescriptor(g.id, index)); err != nil {
		if errors.Is(err, raft.ErrSnapOutOfDate) {
			return nil
		}
		return err
	}
	if index > g.h.cfg.CompactionSlack {
		g.compactTo.Store(index - g.h.cfg.CompactionSlack)
		g.h.wakeLoop()
	}
	return nil
}

func (g *group) fail(err error) {
	g.h.log.Error("raft: group stopped", "group", g.id, "err", err)
	g.mu.Lock()
	if g.failed == nil {
		g.failed = fmt.Errorf("%w: %w", ErrGroupFailed, err)
	}
	g.mu.Unlock()
}

func (g *group) errOr(def error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return g.failed
	}
	return def
}
