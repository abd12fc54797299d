package raft

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"triad/internal/storage/vfs"
	"triad/internal/storage/vfs/errorfs"
	"triad/internal/transport"
	"triad/internal/transport/memnet"
)

// testSM is a state machine that records the request IDs it applied.
type testSM struct {
	w        *Waiter
	mu       sync.Mutex
	ids      []uint64
	restores int
	confs    []ConfChange
}

func newTestSM() *testSM { return &testSM{w: NewWaiter()} }

func (s *testSM) Apply(ents []Committed) {
	for _, e := range ents {
		if e.ConfChange != nil {
			s.mu.Lock()
			s.confs = append(s.confs, *e.ConfChange)
			s.mu.Unlock()
			continue
		}
		if len(e.Data) < 8 {
			continue
		}
		id := binary.LittleEndian.Uint64(e.Data)
		s.mu.Lock()
		s.ids = append(s.ids, id)
		s.mu.Unlock()
		s.w.Trigger(id, e.Index)
	}
}

func (s *testSM) Snapshot() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b []byte
	for _, id := range s.ids {
		b = binary.LittleEndian.AppendUint64(b, id)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *testSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(b)%8 != 0 {
		return errors.New("bad test snapshot")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = s.ids[:0]
	for i := 0; i < len(b); i += 8 {
		s.ids = append(s.ids, binary.LittleEndian.Uint64(b[i:]))
	}
	s.restores++
	return nil
}

func (s *testSM) applied() map[uint64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[uint64]int, len(s.ids))
	for _, id := range s.ids {
		m[id]++
	}
	return m
}

// relay breaks the cycle host ↔ transport: memnet needs a handler first.
type relay struct{ h atomic.Pointer[Host] }

func (r *relay) HandleBatch(from uint64, envs []transport.Envelope) {
	if h := r.h.Load(); h != nil {
		h.HandleBatch(from, envs)
	}
}

func (r *relay) HandleSnapshot(from uint64, env transport.Envelope, body io.Reader) error {
	if h := r.h.Load(); h != nil {
		return h.HandleSnapshot(from, env, body)
	}
	return errors.New("not started")
}

func (r *relay) Unreachable(node, group uint64) {
	if h := r.h.Load(); h != nil {
		h.Unreachable(node, group)
	}
}

func (r *relay) SnapshotStatus(node, group uint64, err error) {
	if h := r.h.Load(); h != nil {
		h.SnapshotStatus(node, group, err)
	}
}

type testNode struct {
	id   uint64
	fs   *vfs.MemFS
	efs  *errorfs.FS // if set, the host runs on it (over fs)
	host *Host
	tn   *memnet.Node
	sms  map[uint64]*testSM
}

type cluster struct {
	t      *testing.T
	net    *memnet.Network
	ids    []uint64
	nodes  map[uint64]*testNode
	tweak  func(*Config)
	retain bool // groups are created with RetainLog
}

func newCluster(t *testing.T, n int, tweak func(*Config)) *cluster {
	c := &cluster{t: t, net: memnet.New(), nodes: map[uint64]*testNode{}, tweak: tweak}
	for i := 1; i <= n; i++ {
		c.ids = append(c.ids, uint64(i))
		c.nodes[uint64(i)] = &testNode{id: uint64(i), fs: vfs.NewMem()}
	}
	for _, id := range c.ids {
		c.start(id)
	}
	t.Cleanup(func() {
		for _, id := range c.ids {
			c.stop(id)
		}
	})
	return c
}

func testLogger() *slog.Logger {
	if testing.Verbose() && os.Getenv("RAFT_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start (re)starts node id's host on its filesystem; groups are created
// separately.
func (c *cluster) start(id uint64) *testNode {
	nd := c.nodes[id]
	r := &relay{}
	nd.tn = c.net.NewNode(id, r, r)
	for _, p := range c.ids {
		if p != id {
			nd.tn.AddPeer(p, "")
		}
	}
	cfg := Config{
		NodeID: id, FS: nd.fsys(), Dir: "/data", Transport: nd.tn,
		TickInterval: 10 * time.Millisecond, ElectionTicks: 20, Logger: testLogger(),
	}
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	h, err := NewHost(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	nd.host = h
	nd.sms = map[uint64]*testSM{}
	r.h.Store(h)
	return nd
}

func (nd *testNode) fsys() vfs.FS {
	if nd.efs != nil {
		return nd.efs
	}
	return nd.fs
}

func (c *cluster) stop(id uint64) {
	nd := c.nodes[id]
	if nd.host == nil {
		return
	}
	nd.tn.Close()
	nd.host.Close()
	nd.host = nil
}

func (c *cluster) running() []*testNode {
	var out []*testNode
	for _, id := range c.ids {
		if nd := c.nodes[id]; nd.host != nil {
			out = append(out, nd)
		}
	}
	return out
}

func (c *cluster) createGroup(id, group uint64, peers []uint64) {
	nd := c.nodes[id]
	sm := newTestSM()
	nd.sms[group] = sm
	if err := nd.host.CreateGroup(GroupConfig{ID: group, Peers: peers, StateMachine: sm, RetainLog: c.retain}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) createGroupAll(group uint64) {
	for _, nd := range c.running() {
		c.createGroup(nd.id, group, c.ids)
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-time.After(5 * time.Millisecond)
	}
}

// leader waits for a running node that leads group and that every other
// running member agrees on.
func (c *cluster) leader(group uint64) *testNode {
	c.t.Helper()
	var ld *testNode
	eventually(c.t, 20*time.Second, fmt.Sprintf("leader of group %d", group), func() bool {
		ld = nil
		for _, nd := range c.running() {
			st, err := nd.host.Status(group)
			if err == nil && st.IsLeader {
				ld = nd
			}
		}
		return ld != nil
	})
	return ld
}

var reqSeq atomic.Uint64

// propose proposes a new request ID through the current leader until it is
// applied there (acknowledged), and returns the ID.
func (c *cluster) propose(group uint64) uint64 {
	c.t.Helper()
	id := reqSeq.Add(1)
	data := binary.LittleEndian.AppendUint64(nil, id)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ld := c.leader(group)
		sm := ld.sms[group]
		done := sm.w.Register(id)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ld.host.Propose(ctx, group, data)
		if err == nil {
			select {
			case <-done:
				cancel()
				return id
			case <-ctx.Done():
			}
		}
		cancel()
		sm.w.Cancel(id)
		// A retry may apply the ID twice; tests check presence, not count.
	}
	c.t.Fatalf("proposal %d to group %d never applied", id, group)
	return 0
}

// waitApplied waits until node id's state machine of group holds all ids.
func (c *cluster) waitApplied(id, group uint64, want []uint64) {
	c.t.Helper()
	eventually(c.t, 20*time.Second, fmt.Sprintf("node %d group %d to apply %d entries", id, group, len(want)), func() bool {
		sm := c.nodes[id].sms[group]
		if sm == nil {
			return false
		}
		got := sm.applied()
		for _, w := range want {
			if got[w] == 0 {
				return false
			}
		}
		return true
	})
}

// lagFollower stops one follower of group, proposes n requests through the
// leader, and returns the stopped node and the proposed request IDs.
func (c *cluster) lagFollower(group uint64, n int) (uint64, []uint64) {
	c.t.Helper()
	ld := c.leader(group)
	var lag uint64
	for _, id := range c.ids {
		if id != ld.id {
			lag = id
			break
		}
	}
	c.stop(lag)
	var ids []uint64
	for range n {
		ids = append(ids, c.propose(group))
	}
	return lag, ids
}
