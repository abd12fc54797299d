package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// TCP is the network Transport: one outgoing connection per peer for
// messages, one more per snapshot in flight, and whatever peers dial in.
type TCP struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // cancelled by Close; aborts dials
	cancel context.CancelFunc
	wg     sync.WaitGroup
	notify notifier

	mu        sync.Mutex
	closed    bool
	peers     map[uint64]*peer
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	inbound   map[uint64]net.Conn // newest message connection from each node
}

var _ Transport = (*TCP)(nil)

// New builds a transport; it starts nothing until Serve, AddPeer or a send.
func New(cfg Config) (*TCP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	t := &TCP{
		cfg:       cfg,
		log:       cfg.Logger.With("node", cfg.NodeID),
		ctx:       ctx,
		cancel:    cancel,
		peers:     make(map[uint64]*peer),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
		inbound:   make(map[uint64]net.Conn),
	}
	t.notify.init(t, cfg.Reporter)
	return t, nil
}

// spawn runs f on a tracked goroutine; it reports false after Close.
func (t *TCP) spawn(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
	return true
}

// trackConn registers c so that Close can close it; after Close it closes c
// and reports false.
func (t *TCP) trackConn(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *TCP) untrackConn(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	c.Close()
}

// Serve accepts peer connections on ln (wrapped in TLS when ServerTLS is
// set) until Close, then returns ErrClosed.
func (t *TCP) Serve(ln net.Listener) error {
	if t.cfg.ServerTLS != nil {
		ln = tls.NewListener(ln, t.cfg.ServerTLS)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	t.listeners[ln] = struct{}{}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.listeners, ln)
		t.mu.Unlock()
		ln.Close()
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if t.isClosed() {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				t.log.Warn("transport: accept failed; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
				case <-t.ctx.Done():
				}
				continue
			}
			return fmt.Errorf("transport: accept: %w", err)
		}
		delay = 0
		if !t.spawn(func() { t.serveConn(c) }) {
			c.Close()
			return ErrClosed
		}
	}
}

func (t *TCP) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Close stops listeners, peers and connections and waits for every
// goroutine the transport started. Messages still queued are dropped
// without being reported.
func (t *TCP) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.cancel()
	for ln := range t.listeners {
		ln.Close()
	}
	for c := range t.conns {
		c.Close()
	}
	for _, p := range t.peers {
		close(p.stop)
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}

// AddPeer implements Transport.
func (t *TCP) AddPeer(id uint64, addr string) { t.setPeer(id, addr) }

// UpdatePeer implements Transport.
func (t *TCP) UpdatePeer(id uint64, addr string) { t.setPeer(id, addr) }

func (t *TCP) setPeer(id uint64, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if p, ok := t.peers[id]; ok {
		p.setAddr(addr)
		return
	}
	p := newPeer(t, id, addr)
	t.peers[id] = p
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		p.run()
	}()
}

// RemovePeer implements Transport.
func (t *TCP) RemovePeer(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.peers[id]; ok && !t.closed {
		delete(t.peers, id)
		close(p.stop)
	}
}

func (t *TCP) peer(id uint64) *peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.peers[id]
}

// Send implements Transport.
func (t *TCP) Send(to uint64, envs ...Envelope) {
	if len(envs) == 0 {
		return
	}
	p := t.peer(to)
	if p == nil {
		for _, e := range envs {
			t.notify.unreachable(to, e.Group)
		}
		return
	}
	p.enqueue(envs)
}

// dial connects to a peer and completes the handshake. The returned
// connection is tracked; the caller untracks it.
func (t *TCP) dial(to uint64, addr string, kind byte) (net.Conn, *bufio.Reader, error) {
	d := &net.Dialer{Timeout: t.cfg.DialTimeout}
	var c net.Conn
	var err error
	if t.cfg.ClientTLS != nil {
		c, err = (&tls.Dialer{NetDialer: d, Config: t.cfg.ClientTLS}).DialContext(t.ctx, "tcp", addr)
	} else {
		c, err = d.DialContext(t.ctx, "tcp", addr)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("transport: dial peer %d at %s: %w", to, addr, err)
	}
	if !t.trackConn(c) {
		return nil, nil, ErrClosed
	}
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	h := hello{kind: kind, clusterID: t.cfg.ClusterID, from: t.cfg.NodeID, to: to}
	br := bufio.NewReaderSize(c, 4096)
	_, err = c.Write(appendFrame(nil, frameHello, h.payload()))
	var typ byte
	var p []byte
	if err == nil {
		typ, p, _, err = readFrame(br, 4096, nil)
	}
	if err == nil && typ != frameHelloAck {
		err = fmt.Errorf("%w: got frame %q, want hello ack", ErrBadHandshake, typ)
	}
	var ok bool
	var reason string
	if err == nil {
		ok, reason, err = parseStatus(p)
	}
	if err == nil && !ok {
		err = fmt.Errorf("%w by peer %d at %s: %s", ErrRefused, to, addr, reason)
	}
	if err != nil {
		t.untrackConn(c)
		if errors.Is(err, ErrRefused) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("transport: handshake with peer %d at %s: %w", to, addr, err)
	}
	c.SetDeadline(time.Time{})
	return c, br, nil
}

// serveConn runs one inbound connection: handshake, then messages or one
// snapshot.
func (t *TCP) serveConn(c net.Conn) {
	if !t.trackConn(c) {
		return
	}
	defer t.untrackConn(c)
	remote := c.RemoteAddr().String()
	c.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	br := bufio.NewReaderSize(c, 64<<10)
	typ, p, _, err := readFrame(br, helloLen, nil)
	var h hello
	if err == nil && typ != frameHello {
		err = fmt.Errorf("%w: first frame is %q, want hello", ErrBadHandshake, typ)
	}
	if err == nil {
		h, err = parseHello(p)
	}
	if err != nil {
		// Not a peer speaking our protocol (or a failed TLS handshake):
		// there is nobody to tell, so log and hang up.
		t.log.Warn("transport: refused connection", "remote", remote, "err", err)
		return
	}
	switch {
	case h.clusterID != t.cfg.ClusterID:
		err = fmt.Errorf("cluster ID mismatch: node %d is in cluster %d, this node (%d) is in cluster %d", h.from, h.clusterID, t.cfg.NodeID, t.cfg.ClusterID)
	case h.to != t.cfg.NodeID:
		err = fmt.Errorf("node ID mismatch: node %d dialed node %d, but this is node %d", h.from, h.to, t.cfg.NodeID)
	}
	if err != nil {
		t.log.Warn("transport: refused connection", "remote", remote, "from", h.from, "err", err)
		c.Write(appendFrame(nil, frameHelloAck, statusPayload(err)))
		return
	}
	if _, err := c.Write(appendFrame(nil, frameHelloAck, statusPayload(nil))); err != nil {
		return
	}
	c.SetDeadline(time.Time{})
	if h.kind == kindSnapshot {
		t.receiveSnapshot(c, br, h.from)
		return
	}
	t.receiveBatches(c, br, h.from, remote)
}

func (t *TCP) receiveBatches(c net.Conn, br *bufio.Reader, from uint64, remote string) {
	// A peer that reconnects leaves its old connection behind only if the
	// old one is half-open; close it so they do not pile up.
	t.mu.Lock()
	if old, ok := t.inbound[from]; ok {
		old.Close()
	}
	t.inbound[from] = c
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.inbound[from] == c {
			delete(t.inbound, from)
		}
		t.mu.Unlock()
	}()
	var buf []byte
	for {
		typ, p, nb, err := readFrame(br, t.cfg.MaxFrameSize, buf)
		buf = nb
		if err == nil && typ != frameBatch {
			err = fmt.Errorf("%w: unexpected frame %q on a message connection", ErrBadFrame, typ)
		}
		var envs []Envelope
		if err == nil {
			envs, err = decodeBatch(p)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				t.log.Warn("transport: closing connection", "from", from, "remote", remote, "err", err)
			}
			return
		}
		if cap(buf) > 4<<20 {
			buf = nil // do not pin one huge frame's buffer
		}
		if len(envs) > 0 {
			t.cfg.Handler.HandleBatch(from, envs)
		}
	}
}

// notifier calls the Reporter from one goroutine, started on first use,
// so callbacks never run inside Send and never run concurrently.
type notifier struct {
	t        *TCP
	rep      Reporter
	mu       sync.Mutex
	running  bool
	pending  []event
	seen     map[[2]uint64]struct{} // unreachable (node, group) already pending
	wake     chan struct{}
	stopping bool
}

type event struct {
	node, group uint64
	snap        bool
	err         error
}

func (n *notifier) init(t *TCP, r Reporter) {
	n.t, n.rep = t, r
	n.seen = make(map[[2]uint64]struct{})
	n.wake = make(chan struct{}, 1)
}

func (n *notifier) unreachable(node, group uint64) {
	n.mu.Lock()
	k := [2]uint64{node, group}
	if _, dup := n.seen[k]; !dup {
		n.seen[k] = struct{}{}
		n.pending = append(n.pending, event{node: node, group: group})
	}
	n.kickLocked()
	n.mu.Unlock()
}

func (n *notifier) snapshotStatus(node, group uint64, err error) {
	n.mu.Lock()
	n.pending = append(n.pending, event{node: node, group: group, snap: true, err: err})
	n.kickLocked()
	n.mu.Unlock()
}

func (n *notifier) kickLocked() {
	if !n.running {
		n.running = n.t.spawn(n.run)
		if !n.running {
			n.pending = nil
			clear(n.seen)
			return
		}
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	for {
		select {
		case <-n.wake:
		case <-n.t.ctx.Done():
			return
		}
		n.mu.Lock()
		evs := n.pending
		n.pending = nil
		clear(n.seen)
		n.mu.Unlock()
		for _, e := range evs {
			if e.snap {
				n.rep.SnapshotStatus(e.node, e.group, e.err)
			} else {
				n.rep.Unreachable(e.node, e.group)
			}
		}
	}
}
