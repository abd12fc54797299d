package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"

	"triad/internal/storage"
)

// leaderLocked returns nil if this replica leads, else a *NotLeaderError.
func (g *group) leaderLocked() error {
	if g.failed != nil {
		return g.failed
	}
	st := g.rn.BasicStatus()
	if st.RaftState == raft.StateLeader {
		return nil
	}
	return &NotLeaderError{Group: g.id, Leader: g.nodes[st.Lead]}
}

// Propose appends data to the group's log and returns once it is proposed
// on this replica, which must be the leader (otherwise a *NotLeaderError
// naming the leader's node). It does not wait for commit: the caller
// embeds a request ID in data and waits on a Waiter that its state
// machine triggers when it applies the entry. A proposal can still be lost
// if leadership changes before it commits; callers time out and retry.
// data is copied (raft clones a proposal into its log): the caller may
// reuse the buffer once Propose returns (TestProposeCopiesData holds raft
// to that).
func (h *Host) Propose(ctx context.Context, groupID uint64, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g, err := h.group(groupID)
	if err != nil {
		return err
	}
	g.mu.Lock()
	err = g.leaderLocked()
	if err == nil {
		err = g.rn.Propose(data)
		if errors.Is(err, raft.ErrProposalDropped) {
			err = fmt.Errorf("%w: %w", ErrProposalDropped, err)
		}
	}
	g.mu.Unlock()
	if err == nil {
		h.wakeLoop()
	}
	return err
}

// ReadIndex returns an index that is at least the group's commit index at
// the time of the call, confirmed by a quorum, and returns once this
// replica has applied it: reads of the applied state that follow are
// linearizable. It works on followers too (the leader answers them).
func (h *Host) ReadIndex(ctx context.Context, groupID uint64) (uint64, error) {
	g, err := h.group(groupID)
	if err != nil {
		return 0, err
	}
	if idx, ok, err := g.singletonRead(ctx); ok || err != nil {
		if err != nil {
			return 0, err
		}
		return idx, g.waitApplied(ctx, idx)
	}
	id := h.nextID()
	ch := make(chan uint64, 1)
	g.mu.Lock()
	if g.failed != nil {
		g.mu.Unlock()
		return 0, g.failed
	}
	if st := g.rn.BasicStatus(); st.Lead == raft.None {
		g.mu.Unlock()
		return 0, &NotLeaderError{Group: g.id}
	}
	g.reads[id] = ch
	g.rn.ReadIndex(binary.LittleEndian.AppendUint64(nil, id))
	g.mu.Unlock()
	h.wakeLoop()
	var index uint64
	select {
	case i, ok := <-ch:
		if !ok {
			return 0, ErrClosed
		}
		index = i
	case <-ctx.Done():
		g.mu.Lock()
		delete(g.reads, id)
		g.mu.Unlock()
		return 0, ctx.Err()
	}
	if err := g.waitApplied(ctx, index); err != nil {
		return 0, err
	}
	return index, nil
}

// WaitApplied returns once this replica has applied index.
func (h *Host) WaitApplied(ctx context.Context, groupID, index uint64) error {
	g, err := h.group(groupID)
	if err != nil {
		return err
	}
	return g.waitApplied(ctx, index)
}

// TransferLeadership asks the leader to hand leadership to replica to. It
// returns at once; watch Status for the outcome.
func (h *Host) TransferLeadership(groupID, to uint64) error {
	g, err := h.group(groupID)
	if err != nil {
		return err
	}
	g.mu.Lock()
	err = g.leaderLocked()
	if err == nil {
		g.rn.TransferLeader(to)
	}
	g.mu.Unlock()
	h.wakeLoop()
	return err
}

// AddLearner adds replica (hosted on node) as a learner and returns once
// the change is applied on this replica, the leader. Replica IDs are never
// reused: a node that comes back gets a new replica ID.
func (h *Host) AddLearner(ctx context.Context, groupID, replica, node uint64) error {
	return h.changeConf(ctx, groupID, pb.ConfChangeAddLearnerNode, replica, node)
}

// PromoteVoter makes a learner a voter, once applied on this replica.
func (h *Host) PromoteVoter(ctx context.Context, groupID, replica uint64) error {
	return h.changeConf(ctx, groupID, pb.ConfChangeAddNode, replica, 0)
}

// RemoveMember removes a voter or learner, once applied on this replica.
// Its replica ID is retired for good.
func (h *Host) RemoveMember(ctx context.Context, groupID, replica uint64) error {
	return h.changeConf(ctx, groupID, pb.ConfChangeRemoveNode, replica, 0)
}

func (h *Host) changeConf(ctx context.Context, groupID uint64, typ pb.ConfChangeType, replica, node uint64) error {
	if replica == 0 {
		return errors.New("raft: replica ID must be non-zero")
	}
	g, err := h.group(groupID)
	if err != nil {
		return err
	}
	id := h.nextID()
	done := h.confWait.Register(id)
	defer h.confWait.Cancel(id)
	cc := &pb.ConfChangeV2{
		Changes: []*pb.ConfChangeSingle{{Type: typ.Enum(), NodeId: new(replica)}},
		Context: ccContext(node, id),
	}
	g.mu.Lock()
	err = g.leaderLocked()
	if err == nil && typ == pb.ConfChangeAddLearnerNode {
		cfg := g.rn.Status().Config
		_, voter := cfg.Voters.IDs()[replica]
		_, learner := cfg.Learners[replica]
		if g.removed[replica] || voter || learner {
			err = fmt.Errorf("%w: %d", ErrReplicaReused, replica)
		}
	}
	if err == nil {
		err = g.rn.ProposeConfChange(cc)
		if errors.Is(err, raft.ErrProposalDropped) {
			err = fmt.Errorf("%w: %w", ErrProposalDropped, err)
		}
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	h.wakeLoop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-g.ap.done:
		return g.errOr(ErrClosed)
	}
}

// Status describes one replica of a group.
type Status struct {
	Group      uint64
	ReplicaID  uint64
	Leader     uint64 // replica ID of the leader; 0 if unknown
	LeaderNode uint64 // node of the leader; 0 if unknown
	IsLeader   bool
	Term       uint64
	Commit     uint64
	Applied    uint64 // by the state machine
	Voters     []uint64
	Learners   []uint64
	// RecentVoters, on the leader, counts the voters it has received a
	// message from within the last election timeout, itself included (0
	// elsewhere).
	RecentVoters int
	Err          error // non-nil once the group stopped on a storage failure
}

// Status returns the group's state as this replica sees it.
func (h *Host) Status(groupID uint64) (Status, error) {
	g, err := h.group(groupID)
	if err != nil {
		return Status{}, err
	}
	// A voter is recent if a message from it arrived within an election
	// timeout (raft's own RecentActive flags proved unreliable here: they
	// stayed set for a stopped peer).
	recent := time.Duration(h.cfg.ElectionTicks) * h.cfg.TickInterval
	g.mu.Lock()
	st := g.rn.Status()
	s := Status{
		Group: g.id, ReplicaID: g.replica,
		Leader: st.Lead, LeaderNode: g.nodes[st.Lead], IsLeader: st.RaftState == raft.StateLeader,
		Term: st.HardState.GetTerm(), Commit: st.HardState.GetCommit(),
		Err: g.failed,
	}
	for id := range st.Config.Voters.IDs() {
		s.Voters = append(s.Voters, id)
		if s.IsLeader && (id == g.replica || time.Since(g.heard[id]) < recent) {
			s.RecentVoters++
		}
	}
	for id := range st.Config.Learners {
		s.Learners = append(s.Learners, id)
	}
	g.mu.Unlock()
	slices.Sort(s.Voters)
	slices.Sort(s.Learners)
	s.Applied = g.appliedIndex()
	return s, nil
}

// Leadership is who leads a group, as one replica sees it.
type Leadership struct {
	IsLeader   bool
	LeaderNode uint64 // 0 if unknown
	Term       uint64
}

// Leadership is the cheap part of Status, for every request's path: it
// copies no membership or progress.
func (h *Host) Leadership(groupID uint64) (Leadership, error) {
	g, err := h.group(groupID)
	if err != nil {
		return Leadership{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return Leadership{}, g.failed
	}
	st := g.rn.BasicStatus()
	return Leadership{IsLeader: st.RaftState == raft.StateLeader, LeaderNode: g.nodes[st.Lead], Term: st.HardState.GetTerm()}, nil
}

// singletonRead answers a read index on a leader that is its group's only
// voter from its commit index, as raft itself does for such a leader but
// without a round through the ready loop. It first waits until the leader
// has committed an entry of its own term: until then the commit index it
// restarted with can lag entries acknowledged before a crash (a hard state
// that changes only the commit index is not fsynced). ok is false when the
// group has other voters or this replica does not lead.
func (g *group) singletonRead(ctx context.Context) (index uint64, ok bool, err error) {
	for {
		g.mu.Lock()
		if g.failed != nil {
			g.mu.Unlock()
			return 0, false, g.failed
		}
		st := g.rn.BasicStatus()
		voters := 0
		if st.RaftState == raft.StateLeader {
			g.rn.WithProgress(func(id uint64, typ raft.ProgressType, _ tracker.Progress) {
				if typ == raft.ProgressTypePeer {
					voters++
				}
			})
		}
		if voters != 1 {
			g.mu.Unlock()
			return 0, false, nil
		}
		commit := st.HardState.GetCommit()
		t, terr := g.st.Term(commit)
		g.mu.Unlock()
		if terr == nil && t == st.HardState.GetTerm() {
			return commit, true, nil
		}
		// Not yet: wait for the apply of the leader's first entry.
		g.ap.appliedMu.Lock()
		ch := g.ap.appliedCh
		g.ap.appliedMu.Unlock()
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
	}
}

// ReadEntries returns the committed entries [lo, hi) of a group with
// GroupConfig.RetainLog, at most maxBytes of them (but at least one; 0 is
// no limit), from the log files or the cache of recent entries. hi is
// clamped past the last committed entry handed to the state machine:
// readers never see uncommitted entries, and see every entry the state
// machine has applied (the applied index moves only after Apply returns,
// so a reader woken by Apply would otherwise miss what woke it). Entries below the log's start (dropped by
// DropLogBefore, or older than a snapshot this replica installed) answer
// ErrLogDropped. Safe for concurrent use.
func (h *Host) ReadEntries(groupID, lo, hi, maxBytes uint64) ([]Committed, error) {
	g, err := h.retained(groupID)
	if err != nil {
		return nil, err
	}
	hi = min(hi, g.disk.handed.Load()+1)
	return g.disk.read(lo, hi, maxBytes)
}

// EntryRegions returns the data of a retained group's entries idx
// (ascending), each minus its first skip bytes, as regions of the log
// files for zero-copy readers (storage.Regions: sendfile to a socket); the
// caller must Release them. As with ReadEntries, entries past the last
// committed one handed to the state machine are left out; below the log's
// start they answer ErrLogDropped. Safe for concurrent use.
func (h *Host) EntryRegions(groupID uint64, idx []uint64, skip int64) (*storage.Regions, error) {
	g, err := h.retained(groupID)
	if err != nil {
		return nil, err
	}
	handed := g.disk.handed.Load()
	n := len(idx)
	for n > 0 && idx[n-1] > handed {
		n--
	}
	return g.disk.regions(idx[:n], skip)
}

// DropLogBefore lets a group with GroupConfig.RetainLog drop its entries
// below index (retention). The log goes in whole segments, never past the
// latest snapshot (a restart replays what follows it), so entries below
// index may stay readable for a while. Replicas decide it each on their
// own, from the same applied command.
func (h *Host) DropLogBefore(groupID, index uint64) error {
	g, err := h.retained(groupID)
	if err != nil {
		return err
	}
	for {
		cur := g.dropTo.Load()
		if index <= cur || g.dropTo.CompareAndSwap(cur, index) {
			break
		}
	}
	h.wakeLoop()
	return nil
}

// LogFirstIndex is the first index still in a retained group's log.
func (h *Host) LogFirstIndex(groupID uint64) (uint64, error) {
	g, err := h.retained(groupID)
	if err != nil {
		return 0, err
	}
	g.disk.mu.RLock()
	defer g.disk.mu.RUnlock()
	return g.disk.lg.FirstIndex() + g.disk.base, nil
}

// Campaign makes this replica stand for election soon rather than after
// an election timeout: a group whose only voter is this node leads at
// once. Raft refuses to campaign before the replica has applied its
// configuration (the bootstrap entries, or on restart the log's conf
// changes), so the campaign runs on its own goroutine once everything
// committed when it was asked is applied (waiting at most 10 s).
func (h *Host) Campaign(groupID uint64) error {
	g, err := h.group(groupID)
	if err != nil {
		return err
	}
	g.mu.Lock()
	commit := g.rn.Status().HardState.GetCommit()
	g.mu.Unlock()
	h.wg.Go(func() {
		deadline := time.NewTimer(10 * time.Second)
		defer deadline.Stop()
		for {
			g.ap.appliedMu.Lock()
			applied, ch := g.ap.applied, g.ap.appliedCh
			g.ap.appliedMu.Unlock()
			if applied >= commit {
				break
			}
			select {
			case <-ch:
			case <-g.ap.done:
				return
			case <-h.stop:
				return
			case <-deadline.C:
				return
			}
		}
		// The apply goroutine may finish before the ready loop's Advance
		// tells raft: wait for raft's own applied index too.
		for {
			g.mu.Lock()
			if g.failed != nil {
				g.mu.Unlock()
				return
			}
			if g.rn.Status().Applied >= commit {
				_ = g.rn.Campaign()
				g.mu.Unlock()
				h.wakeLoop()
				return
			}
			g.mu.Unlock()
			select {
			case <-time.After(2 * time.Millisecond):
			case <-h.stop:
				return
			case <-deadline.C:
				return
			}
		}
	})
	return nil
}

// SealedBelowSnapshot lists the sealed log segments of a retained group
// that lie wholly at or below its latest snapshot, in raft indexes: the
// part of the log a compactor may rewrite (a restart replays only what
// follows the snapshot, so rewritten entries are never re-applied).
func (h *Host) SealedBelowSnapshot(groupID uint64) ([]storage.SegmentInfo, error) {
	g, err := h.retained(groupID)
	if err != nil {
		return nil, err
	}
	snap := g.disk.snapIndex()
	g.disk.mu.RLock()
	lg, base := g.disk.lg, g.disk.base
	g.disk.mu.RUnlock()
	var out []storage.SegmentInfo
	for _, s := range lg.Sealed() {
		if s.Last+base > snap {
			break
		}
		out = append(out, storage.SegmentInfo{First: s.First + base, Last: s.Last + base, Bytes: s.Bytes})
	}
	return out, nil
}

// RewriteSegment replaces the data of the entries of a retained group's
// sealed segment starting at raft index first (see storage.Log.Rewrite):
// fn returns an entry's new data or nil to keep it. Only segments from
// SealedBelowSnapshot may be rewritten.
func (h *Host) RewriteSegment(groupID, first uint64, fn func(index uint64, data []byte) []byte) (bool, error) {
	g, err := h.retained(groupID)
	if err != nil {
		return false, err
	}
	g.disk.mu.RLock()
	lg, base := g.disk.lg, g.disk.base
	g.disk.mu.RUnlock()
	if first <= base {
		return false, fmt.Errorf("%w: %d", ErrLogDropped, first)
	}
	last := uint64(0)
	changed, err := lg.Rewrite(first-base, func(e storage.Entry) []byte {
		last = max(last, e.Index+base)
		if pb.EntryType(e.Type) != pb.EntryNormal || len(e.Data) == 0 {
			return nil
		}
		return fn(e.Index+base, e.Data)
	})
	if changed {
		g.disk.forget(last)
	}
	return changed, err
}

// retained returns a group that retains its log (GroupConfig.RetainLog).
func (h *Host) retained(groupID uint64) (*group, error) {
	g, err := h.group(groupID)
	if err != nil {
		return nil, err
	}
	if g.disk == nil {
		return nil, fmt.Errorf("%w: group %d", ErrNotRetained, groupID)
	}
	return g, nil
}
