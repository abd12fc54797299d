package raft

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage"
	"triad/internal/transport"
)

// Host runs every raft group of one node: one tick loop, one ready loop
// with group commit, and one apply goroutine per group. See doc.go.
type Host struct {
	cfg Config
	log *slog.Logger

	mu     sync.RWMutex
	groups map[uint64]*group
	closed bool

	loopMu   sync.Mutex // held by the ready loop for a whole cycle
	wake     chan struct{}
	stop     chan struct{}
	loops    sync.WaitGroup // tick and ready loops
	wg       sync.WaitGroup // apply goroutines
	confWait *Waiter
	seqMu    sync.Mutex
	seq      uint64 // request IDs for ReadIndex and conf changes
}

var (
	_ transport.Handler  = (*Host)(nil)
	_ transport.Reporter = (*Host)(nil)
)

// NewHost validates cfg and starts the host's tick and ready loops. It
// runs no group until CreateGroup.
func NewHost(cfg Config) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := cfg.FS.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("raft: %w", err)
	}
	h := &Host{
		cfg:      cfg,
		log:      cfg.Logger,
		groups:   make(map[uint64]*group),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		confWait: NewWaiter(),
		seq:      uint64(time.Now().UnixNano()),
	}
	h.loops.Add(2)
	go func() { defer h.loops.Done(); h.tickLoop() }()
	go func() { defer h.loops.Done(); h.readyLoop() }()
	return h, nil
}

func (h *Host) nextID() uint64 {
	h.seqMu.Lock()
	defer h.seqMu.Unlock()
	h.seq++
	return h.seq
}

// Close stops every group and the loops. It does not close the transport.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	groups := h.groups
	h.groups = map[uint64]*group{}
	h.mu.Unlock()
	close(h.stop)
	h.loops.Wait()
	for _, g := range groups {
		g.shutdown()
	}
	h.wg.Wait()
	return nil
}

func (h *Host) wakeLoop() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *Host) group(id uint64) (*group, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return nil, ErrClosed
	}
	g := h.groups[id]
	if g == nil {
		return nil, fmt.Errorf("%w %d", ErrUnknownGroup, id)
	}
	return g, nil
}

func (h *Host) groupList() []*group {
	h.mu.RLock()
	defer h.mu.RUnlock()
	gs := make([]*group, 0, len(h.groups))
	for _, g := range h.groups {
		gs = append(gs, g)
	}
	return gs
}

// CreateGroup starts a replica of a group: from its data on disk if there
// is some, else bootstrapped with cfg.Peers, else empty, waiting for the
// leader to send it a snapshot or the log.
func (h *Host) CreateGroup(cfg GroupConfig) error {
	if cfg.ID == 0 || cfg.StateMachine == nil {
		return errors.New("raft: group ID and StateMachine are required")
	}
	if cfg.ReplicaID == 0 {
		cfg.ReplicaID = h.cfg.NodeID
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	if h.groups[cfg.ID] != nil {
		return fmt.Errorf("%w: %d", ErrGroupExists, cfg.ID)
	}
	g := &group{
		h: h, id: cfg.ID, replica: cfg.ReplicaID, sm: cfg.StateMachine,
		snapEvery: cmp.Or(cfg.SnapshotEntries, h.cfg.SnapshotEntries),
		dir:       filepath.Join(h.cfg.Dir, fmt.Sprintf("group-%020d", cfg.ID)),
		retain:    cfg.RetainLog,
		persisted: cfg.Persisted,
		segBytes:  cfg.SegmentBytes,
		nodes:     make(map[uint64]uint64),
		removed:   make(map[uint64]bool),
		reads:     make(map[uint64]chan uint64),
		heard:     make(map[uint64]time.Time),
	}
	if !g.retain {
		g.st = raft.NewMemoryStorage()
	}
	g.ap = applier{
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		appliedCh: make(chan struct{}),
		nodes:     make(map[uint64]uint64), removed: make(map[uint64]bool),
	}
	hdr, fresh, err := g.open()
	if err != nil {
		g.close()
		return err
	}
	for _, p := range cfg.Peers {
		g.nodes[p] = p
		g.ap.nodes[p] = p
	}
	if hdr != nil {
		for r, n := range hdr.nodes {
			g.nodes[r] = n
		}
		for r := range hdr.removed {
			g.removed[r] = true
		}
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID:                        g.replica,
		ElectionTick:              h.cfg.ElectionTicks,
		HeartbeatTick:             h.cfg.HeartbeatTicks,
		Storage:                   g.st,
		Applied:                   hdr.index(),
		MaxSizePerMsg:             maxSizePerMsg,
		MaxInflightMsgs:           maxInflightMsgs,
		MaxCommittedSizePerReady:  64 << 20,
		MaxUncommittedEntriesSize: 256 << 20,
		CheckQuorum:               true,
		PreVote:                   true,
		DisableProposalForwarding: true,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{h.log.With("group", cfg.ID)},
	})
	if err != nil {
		g.close()
		return fmt.Errorf("raft: group %d: %w", cfg.ID, err)
	}
	g.rn = rn
	if fresh && len(cfg.Peers) > 0 {
		peers := make([]raft.Peer, len(cfg.Peers))
		for i, p := range cfg.Peers {
			peers[i] = raft.Peer{ID: p, Context: ccContext(p, 0)}
		}
		if err := rn.Bootstrap(peers); err != nil {
			g.close()
			return fmt.Errorf("raft: group %d: bootstrap: %w", cfg.ID, err)
		}
	}
	if hdr != nil {
		g.enqueue(applyItem{restore: hdr.meta})
	}
	h.groups[cfg.ID] = g
	h.wg.Add(1)
	go func() { defer h.wg.Done(); g.runApply() }()
	h.wakeLoop()
	return nil
}

// RemoveGroup stops this node's replica of a group and deletes its data.
// Use it once the replica has been removed from the group (its replica ID
// is then retired for good).
func (h *Host) RemoveGroup(id uint64) error {
	h.loopMu.Lock() // not in the middle of a ready cycle
	defer h.loopMu.Unlock()
	h.mu.Lock()
	g := h.groups[id]
	delete(h.groups, id)
	h.mu.Unlock()
	if g == nil {
		return fmt.Errorf("%w %d", ErrUnknownGroup, id)
	}
	g.shutdown()
	return removeAll(h.cfg.FS, g.dir)
}

// shutdown stops the apply goroutine and closes the files.
func (g *group) shutdown() {
	select {
	case <-g.ap.stop:
	default:
		close(g.ap.stop)
	}
	<-g.ap.done
	g.snapWG.Wait()
	g.mu.Lock()
	for _, ch := range g.reads {
		close(ch)
	}
	g.reads = map[uint64]chan uint64{}
	if g.failed == nil {
		g.failed = ErrClosed
	}
	g.mu.Unlock()
	g.close()
}

func (h *Host) tickLoop() {
	t := time.NewTicker(h.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-h.stop:
			return
		}
		for _, g := range h.groupList() {
			g.mu.Lock()
			if g.failed == nil {
				g.rn.Tick()
			}
			g.mu.Unlock()
		}
		h.wakeLoop()
	}
}

func (h *Host) readyLoop() {
	for {
		select {
		case <-h.wake:
		case <-h.stop:
			return
		}
		for h.cycle() {
			select {
			case <-h.stop:
				return
			default:
			}
		}
	}
}

type work struct {
	g               *group
	rd              raft.Ready
	syncLog, syncHS bool
	err             error // persisting failed: the group stops
	logErr, hsErr   error
}

// cycle runs one group-commit cycle over every group with a Ready and
// reports whether it did anything.
func (h *Host) cycle() bool {
	h.loopMu.Lock()
	defer h.loopMu.Unlock()
	var ws []*work
	for _, g := range h.groupList() {
		g.compact()
		g.mu.Lock()
		if g.failed == nil && g.rn.HasReady() {
			ws = append(ws, &work{g: g, rd: g.rn.Ready()})
		}
		g.mu.Unlock()
	}
	if len(ws) == 0 {
		return false
	}
	// 1. Write every group's snapshot install, entries and hard state.
	for _, w := range ws {
		w.syncLog, w.syncHS, w.err = w.g.persist(&w.rd)
	}
	// 2. Hand the committed entries to the apply goroutines now, while the
	// new entries sync: committed entries are already durable on a quorum
	// (a leader counts its own copy only once synced), so applying them
	// need not wait for this cycle's fsync — that would add a sync to
	// every request's latency.
	for _, w := range ws {
		if w.err == nil {
			w.g.handOff(&w.rd)
		}
	}
	// 3. Group commit: sync every dirtied file, concurrently; the last one
	// on this goroutine (usually the only one: spawning costs latency).
	var syncs []func()
	for _, w := range ws {
		if w.err != nil {
			continue
		}
		if w.syncLog {
			syncs = append(syncs, func() { w.logErr = w.g.lg.Sync() })
		}
		if w.syncHS {
			syncs = append(syncs, func() { w.hsErr = w.g.hs.sync() })
		}
	}
	var wg sync.WaitGroup
	for i, f := range syncs {
		if i == len(syncs)-1 {
			f()
		} else {
			wg.Go(f)
		}
	}
	wg.Wait()
	// 4. Only now send, batched per destination node.
	out := make(map[uint64][]transport.Envelope)
	var snaps []*work
	for _, w := range ws {
		if w.err == nil {
			w.err = errors.Join(w.logErr, w.hsErr)
		}
		if w.err != nil {
			w.g.fail(w.err)
			continue
		}
		if w.g.persisted != nil && len(w.rd.Entries) > 0 {
			var data [][]byte
			for _, e := range w.rd.Entries {
				if e.GetType() == pb.EntryNormal && len(e.GetData()) > 0 {
					data = append(data, e.GetData())
				}
			}
			if len(data) > 0 {
				w.g.persisted(data)
			}
		}
		w.g.mu.Lock()
		for _, m := range w.rd.Messages {
			if m.GetType() == pb.MsgSnap {
				snaps = append(snaps, w)
				continue
			}
			node, ok := w.g.nodes[m.GetTo()]
			if !ok {
				w.g.rn.ReportUnreachable(m.GetTo())
				continue
			}
			out[node] = append(out[node], transport.Envelope{Group: w.g.id, Msg: m})
		}
		w.g.mu.Unlock()
	}
	for node, envs := range out {
		h.cfg.Transport.Send(node, envs...)
	}
	for _, w := range snaps {
		for _, m := range w.rd.Messages {
			if m.GetType() == pb.MsgSnap {
				w.g.sendSnapshot(m)
			}
		}
	}
	// 5. Advance: raft learns that this Ready is persisted (and, on a
	// leader, counts its own copy of the new entries).
	for _, w := range ws {
		if w.err != nil {
			continue
		}
		w.g.mu.Lock()
		w.g.rn.Advance(w.rd)
		w.g.mu.Unlock()
	}
	return true
}

// handOff applies conf changes to raft, queues committed entries for the
// apply goroutine and answers ReadIndex requests. Advance comes later,
// once the Ready is persisted.
func (g *group) handOff(rd *raft.Ready) {
	var it applyItem
	if !raft.IsEmptySnap(rd.Snapshot) {
		it.restore = rd.Snapshot.GetMetadata()
	}
	g.mu.Lock()
	for _, e := range rd.CommittedEntries {
		c := Committed{Index: e.GetIndex(), Term: e.GetTerm()}
		switch e.GetType() {
		case pb.EntryNormal:
			c.Data = e.GetData()
		case pb.EntryConfChange, pb.EntryConfChangeV2:
			cc, err := decodeConfChange(e)
			if err != nil {
				g.h.log.Error("raft: bad conf change entry", "group", g.id, "index", c.Index, "err", err)
				cc = &pb.ConfChangeV2{}
			}
			c.cs = g.rn.ApplyConfChange(cc)
			c.ConfChange, c.ccID = g.noteConfChangeLocked(cc)
		}
		it.ents = append(it.ents, c)
	}
	for _, rs := range rd.ReadStates {
		if len(rs.RequestCtx) == 8 {
			id := binary.LittleEndian.Uint64(rs.RequestCtx)
			if ch := g.reads[id]; ch != nil {
				delete(g.reads, id)
				ch <- rs.Index
			}
		}
	}
	g.mu.Unlock()
	if g.disk != nil {
		last := it.restore.GetIndex()
		if n := len(it.ents); n > 0 {
			last = it.ents[n-1].Index
		}
		for {
			h := g.disk.handed.Load()
			if h >= last || g.disk.handed.CompareAndSwap(h, last) {
				break
			}
		}
	}
	if it.restore != nil || len(it.ents) > 0 {
		g.enqueue(it)
	}
}

func decodeConfChange(e *pb.Entry) (*pb.ConfChangeV2, error) {
	if e.GetType() == pb.EntryConfChange {
		var cc pb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			return nil, err
		}
		return cc.AsV2(), nil
	}
	var cc pb.ConfChangeV2
	if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// ccContext is a conf change's Context: the node of an added replica and
// the ID that completes the proposer's wait.
func ccContext(node, id uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, node)
	return binary.LittleEndian.AppendUint64(b, id)
}

// noteConfChangeLocked updates the replica → node map for an applied conf
// change and describes it.
func (g *group) noteConfChangeLocked(cc *pb.ConfChangeV2) (*ConfChange, uint64) {
	var node, id uint64
	if ctx := cc.GetContext(); len(ctx) == 16 {
		node, id = binary.LittleEndian.Uint64(ctx), binary.LittleEndian.Uint64(ctx[8:])
	}
	chs := cc.GetChanges()
	if len(chs) == 0 {
		return &ConfChange{}, id
	}
	ch := chs[0]
	out := &ConfChange{ReplicaID: ch.GetNodeId()}
	switch ch.GetType() {
	case pb.ConfChangeAddNode:
		// Initial members carry their node; promotions do not.
		out.Type = PromoteVoter
		if node != 0 {
			out.Type = AddVoter
		}
	case pb.ConfChangeAddLearnerNode:
		out.Type = AddLearner
	case pb.ConfChangeRemoveNode:
		out.Type = RemoveMember
		g.removed[ch.GetNodeId()] = true
	}
	if node != 0 {
		out.NodeID = node
		g.nodes[ch.GetNodeId()] = node
	}
	return out, id
}

// sendSnapshot streams the snapshot file a MsgSnap refers to.
func (g *group) sendSnapshot(m *pb.Message) {
	want := m.GetSnapshot().GetMetadata().GetIndex()
	g.mu.Lock()
	node, known := g.nodes[m.GetTo()]
	g.mu.Unlock()
	var rc io.ReadCloser
	g.snapMu.Lock()
	idx, open, ok, err := storage.LatestSnapshot(g.h.cfg.FS, g.snapDir())
	if err == nil && ok && idx == want {
		rc, err = open()
	} else if err == nil {
		err = fmt.Errorf("snapshot %d is not the newest file (found %d, %v)", want, idx, ok)
	}
	g.snapMu.Unlock()
	if err != nil || !known {
		g.h.log.Warn("raft: cannot send snapshot", "group", g.id, "to", m.GetTo(), "err", err)
		if rc != nil {
			rc.Close()
		}
		g.mu.Lock()
		g.rn.ReportSnapshot(m.GetTo(), raft.SnapshotFailure)
		g.mu.Unlock()
		return
	}
	g.h.cfg.Transport.SendSnapshot(node, transport.Envelope{Group: g.id, Msg: m}, rc)
}

// HandleBatch implements transport.Handler.
func (h *Host) HandleBatch(from uint64, envs []transport.Envelope) {
	stepped := false
	for _, e := range envs {
		g, err := h.group(e.Group)
		if err != nil || e.Msg == nil {
			continue
		}
		stepped = g.step(from, e.Msg) || stepped
	}
	if stepped {
		h.wakeLoop()
	}
}

func (g *group) step(from uint64, m *pb.Message) bool {
	if raft.IsLocalMsg(m.GetType()) || m.GetTo() != g.replica {
		return false // not for this replica (e.g. a retired replica ID)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed != nil {
		return false
	}
	if !g.removed[m.GetFrom()] {
		g.nodes[m.GetFrom()] = from // learn where replies go
	}
	g.heard[m.GetFrom()] = time.Now()
	if err := g.rn.Step(m); err != nil {
		g.h.log.Debug("raft: step", "group", g.id, "from", from, "err", err)
		return false
	}
	return true
}

// HandleSnapshot implements transport.Handler: the body is written to a
// snapshot file (durably) before the MsgSnap is stepped.
func (h *Host) HandleSnapshot(from uint64, env transport.Envelope, body io.Reader) error {
	g, err := h.group(env.Group)
	if err != nil {
		return err
	}
	m := env.Msg
	if m == nil || m.GetType() != pb.MsgSnap || m.GetTo() != g.replica {
		return fmt.Errorf("raft: group %d: unexpected snapshot message", env.Group)
	}
	idx := m.GetSnapshot().GetMetadata().GetIndex()
	g.snapMu.Lock()
	_, err = storage.WriteSnapshotFile(h.cfg.FS, g.snapDir(), idx, func(w io.Writer) error {
		_, err := io.Copy(w, body)
		return err
	})
	g.snapMu.Unlock()
	if err != nil {
		return fmt.Errorf("raft: group %d: receive snapshot %d: %w", g.id, idx, err)
	}
	if g.step(from, m) {
		h.wakeLoop()
	}
	return nil
}

// Unreachable implements transport.Reporter.
func (h *Host) Unreachable(node, group uint64) {
	g, err := h.group(group)
	if err != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for r, n := range g.nodes {
		if n == node && r != g.replica && g.failed == nil {
			g.rn.ReportUnreachable(r)
		}
	}
}

// SnapshotStatus implements transport.Reporter.
func (h *Host) SnapshotStatus(node, group uint64, err error) {
	g, gerr := h.group(group)
	if gerr != nil {
		return
	}
	st := raft.SnapshotFinish
	if err != nil {
		st = raft.SnapshotFailure
		h.log.Warn("raft: snapshot not delivered", "group", group, "node", node, "err", err)
	}
	g.mu.Lock()
	for r, n := range g.nodes {
		if n == node && r != g.replica && g.failed == nil {
			g.rn.ReportSnapshot(r, st)
		}
	}
	g.mu.Unlock()
	h.wakeLoop()
}
