// Package memnet is an in-memory network of transport.Transport nodes for
// in-process cluster tests: no sockets, but the same contract as the TCP
// transport — Send never blocks and delivers on goroutines (never inside
// Send), messages are ordered per (sender, receiver) pair, lossy under
// pressure, and drops are reported through transport.Reporter from one
// goroutine per node. Faults: Partition, Isolate, Heal and DropRate.
//
// Messages pass by pointer; a test must treat delivered messages as
// read-only, as it would treat raft's.
package memnet

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"

	"triad/internal/transport"
)

// QueueSize bounds each link's queue, as transport.Config.QueueSize does.
const QueueSize = 4096

// ErrUnreachable is reported for snapshots that cannot be delivered.
var ErrUnreachable = errors.New("memnet: peer unreachable")

// Network connects Nodes.
type Network struct {
	mu       sync.Mutex
	nodes    map[uint64]*Node
	cut      map[[2]uint64]bool // unordered pair (low, high) partitioned
	isolated map[uint64]bool
	dropRate float64
	rng      *rand.Rand
}

// New returns an empty network.
func New() *Network {
	return &Network{
		nodes:    make(map[uint64]*Node),
		cut:      make(map[[2]uint64]bool),
		isolated: make(map[uint64]bool),
		rng:      rand.New(rand.NewPCG(1, 2)),
	}
}

func pair(a, b uint64) [2]uint64 {
	if a > b {
		a, b = b, a
	}
	return [2]uint64{a, b}
}

// Partition cuts the link between a and b, both ways.
func (n *Network) Partition(a, b uint64) {
	n.mu.Lock()
	n.cut[pair(a, b)] = true
	n.mu.Unlock()
}

// Isolate cuts node id off from everyone.
func (n *Network) Isolate(id uint64) {
	n.mu.Lock()
	n.isolated[id] = true
	n.mu.Unlock()
}

// Heal removes every partition and isolation.
func (n *Network) Heal() {
	n.mu.Lock()
	clear(n.cut)
	clear(n.isolated)
	n.mu.Unlock()
}

// DropRate makes every message sent from now on be lost silently with
// probability p (0 ≤ p ≤ 1), as on a lossy network; 0 turns it off.
func (n *Network) DropRate(p float64) {
	n.mu.Lock()
	n.dropRate = p
	n.mu.Unlock()
}

// reachable reports whether from can reach to now, and the receiving node.
func (n *Network) reachable(from, to uint64) (*Node, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dst := n.nodes[to]
	if dst == nil || n.isolated[from] || n.isolated[to] || n.cut[pair(from, to)] {
		return nil, false
	}
	return dst, true
}

func (n *Network) lose() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dropRate > 0 && n.rng.Float64() < n.dropRate
}

// NewNode attaches node id with its handler and reporter (nil ignores
// reports). A node with the same ID replaces the old one (a restart).
func (n *Network) NewNode(id uint64, h transport.Handler, r transport.Reporter) *Node {
	nd := &Node{net: n, id: id, h: h, r: r, peers: make(map[uint64]*link), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	nd.wg.Add(1)
	go func() {
		defer nd.wg.Done()
		nd.notifyLoop()
	}()
	n.mu.Lock()
	n.nodes[id] = nd
	n.mu.Unlock()
	return nd
}

// Node is one node's transport on a Network.
type Node struct {
	net  *Network
	id   uint64
	h    transport.Handler
	r    transport.Reporter
	wg   sync.WaitGroup
	stop chan struct{}
	wake chan struct{}

	mu      sync.Mutex
	closed  bool
	peers   map[uint64]*link
	pending []func(transport.Reporter)
}

var _ transport.Transport = (*Node)(nil)

type link struct {
	to    uint64
	stop  chan struct{}
	wake  chan struct{}
	mu    sync.Mutex
	queue []transport.Envelope
}

// AddPeer implements transport.Transport; the address is ignored.
func (nd *Node) AddPeer(id uint64, _ string) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.closed || nd.peers[id] != nil {
		return
	}
	l := &link{to: id, stop: make(chan struct{}), wake: make(chan struct{}, 1)}
	nd.peers[id] = l
	nd.wg.Add(1)
	go func() {
		defer nd.wg.Done()
		nd.deliverLoop(l)
	}()
}

// UpdatePeer implements transport.Transport.
func (nd *Node) UpdatePeer(id uint64, addr string) { nd.AddPeer(id, addr) }

// RemovePeer implements transport.Transport.
func (nd *Node) RemovePeer(id uint64) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if l := nd.peers[id]; l != nil {
		delete(nd.peers, id)
		close(l.stop)
	}
}

// Close implements transport.Transport: it detaches the node and waits
// for its goroutines.
func (nd *Node) Close() error {
	nd.mu.Lock()
	if nd.closed {
		nd.mu.Unlock()
		return nil
	}
	nd.closed = true
	for _, l := range nd.peers {
		close(l.stop)
	}
	close(nd.stop)
	nd.mu.Unlock()
	nd.net.mu.Lock()
	if nd.net.nodes[nd.id] == nd {
		delete(nd.net.nodes, nd.id)
	}
	nd.net.mu.Unlock()
	nd.wg.Wait()
	return nil
}

// Send implements transport.Transport.
func (nd *Node) Send(to uint64, envs ...transport.Envelope) {
	nd.mu.Lock()
	l := nd.peers[to]
	nd.mu.Unlock()
	if l == nil {
		nd.unreachable(to, envs)
		return
	}
	// Loss is decided at Send, so a DropRate change applies to the
	// messages sent after it.
	kept := make([]transport.Envelope, 0, len(envs))
	for _, e := range envs {
		if !nd.net.lose() {
			kept = append(kept, e)
		}
	}
	envs = kept
	l.mu.Lock()
	room := max(QueueSize-len(l.queue), 0)
	l.queue = append(l.queue, envs[:min(room, len(envs))]...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	if room < len(envs) {
		nd.unreachable(to, envs[room:])
	}
}

func (nd *Node) deliverLoop(l *link) {
	for {
		select {
		case <-l.wake:
		case <-l.stop:
			return
		}
		l.mu.Lock()
		batch := l.queue
		l.queue = nil
		l.mu.Unlock()
		dst, ok := nd.net.reachable(nd.id, l.to)
		if !ok {
			nd.unreachable(l.to, batch)
			continue
		}
		if len(batch) > 0 {
			dst.h.HandleBatch(nd.id, batch)
		}
	}
}

// SendSnapshot implements transport.Transport: the body is handed to the
// receiver's HandleSnapshot on a new goroutine.
func (nd *Node) SendSnapshot(to uint64, env transport.Envelope, body io.ReadCloser) {
	nd.mu.Lock()
	if nd.closed {
		nd.mu.Unlock()
		body.Close()
		return
	}
	known := nd.peers[to] != nil
	nd.wg.Add(1)
	nd.mu.Unlock()
	go func() {
		defer nd.wg.Done()
		defer body.Close()
		var err error
		dst, ok := nd.net.reachable(nd.id, to)
		switch {
		case !known:
			err = fmt.Errorf("%w %d", transport.ErrUnknownPeer, to)
		case !ok:
			err = fmt.Errorf("%w: %d", ErrUnreachable, to)
		default:
			err = dst.h.HandleSnapshot(nd.id, env, body)
		}
		nd.report(func(r transport.Reporter) { r.SnapshotStatus(to, env.Group, err) })
	}()
}

func (nd *Node) unreachable(to uint64, envs []transport.Envelope) {
	seen := make(map[uint64]bool)
	for _, e := range envs {
		if !seen[e.Group] {
			seen[e.Group] = true
			g := e.Group
			nd.report(func(r transport.Reporter) { r.Unreachable(to, g) })
		}
	}
}

func (nd *Node) report(f func(transport.Reporter)) {
	if nd.r == nil {
		return
	}
	nd.mu.Lock()
	nd.pending = append(nd.pending, f)
	nd.mu.Unlock()
	select {
	case nd.wake <- struct{}{}:
	default:
	}
}

func (nd *Node) notifyLoop() {
	for {
		select {
		case <-nd.wake:
		case <-nd.stop:
			return
		}
		nd.mu.Lock()
		fs := nd.pending
		nd.pending = nil
		nd.mu.Unlock()
		for _, f := range fs {
			f(nd.r)
		}
	}
}
