package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Envelope is one raft message addressed to a group on a node.
//
// Msg is a pointer because raftpb.Message (v3.7) embeds protobuf state that
// must not be copied; it is what RawNode.Ready().Messages holds and what
// RawNode.Step takes. After Send the transport owns the message: the caller
// must not modify it (raft never does).
type Envelope struct {
	Group uint64
	Msg   *raftpb.Message
}

// Transport sends raft messages to peer nodes. Both the TCP implementation
// (New) and the in-memory fake (package memnet) satisfy it.
type Transport interface {
	// Send queues envs for node to and returns at once; it never blocks on
	// the network. Messages that cannot be queued or delivered are dropped
	// and reported through Reporter.Unreachable.
	Send(to uint64, envs ...Envelope)
	// SendSnapshot streams a MsgSnap and its body to node to on its own
	// connection, closes body, and reports the outcome through
	// Reporter.SnapshotStatus. It never blocks.
	SendSnapshot(to uint64, env Envelope, body io.ReadCloser)
	// AddPeer makes node id reachable at addr; adding a known peer with a
	// new address is UpdatePeer.
	AddPeer(id uint64, addr string)
	// UpdatePeer changes a peer's address; the current connection is
	// dropped and the next message dials the new address.
	UpdatePeer(id uint64, addr string)
	// RemovePeer forgets a peer; queued messages to it are dropped.
	RemovePeer(id uint64)
	// Close stops everything and waits for every goroutine to end.
	Close() error
}

// Handler receives what peers send. Calls for one connection are made in
// order from that connection's goroutine; calls for different peers (and
// snapshots, which have their own connections) may be concurrent.
type Handler interface {
	// HandleBatch delivers messages from node from, in the order they were
	// sent on one connection. envs and the messages belong to the handler.
	HandleBatch(from uint64, envs []Envelope)
	// HandleSnapshot delivers a MsgSnap and its streamed body. body is valid
	// only until HandleSnapshot returns. A non-nil error is sent back to the
	// sender and reported there through Reporter.SnapshotStatus.
	HandleSnapshot(from uint64, env Envelope, body io.Reader) error
}

// Reporter learns about failed deliveries so the raft host can call
// RawNode.ReportUnreachable and RawNode.ReportSnapshot. Its methods are
// called from a single transport goroutine, one at a time, never from
// inside Send or SendSnapshot; they must not block for long.
type Reporter interface {
	// Unreachable says messages for group on node were dropped.
	Unreachable(node, group uint64)
	// SnapshotStatus reports the end of a SendSnapshot: err is nil when the
	// receiver's HandleSnapshot returned nil.
	SnapshotStatus(node, group uint64, err error)
}

// Errors.
var (
	ErrClosed        = errors.New("transport: closed")
	ErrUnknownPeer   = errors.New("transport: unknown peer")
	ErrRefused       = errors.New("transport: handshake refused")
	ErrBadHandshake  = errors.New("transport: bad handshake")
	ErrFrameTooLarge = errors.New("transport: frame too large")
	ErrChecksum      = errors.New("transport: frame checksum mismatch")
	ErrBadFrame      = errors.New("transport: malformed frame")
)

// Config configures a TCP transport. Zero values take the documented
// defaults.
type Config struct {
	// NodeID is this node's ID; required, non-zero.
	NodeID uint64
	// ClusterID must be equal on both ends of a connection; it keeps nodes
	// of different clusters (or a stale node from a wiped cluster) apart.
	ClusterID uint64
	// Handler receives messages; required.
	Handler Handler
	// Reporter learns about drops and snapshot outcomes; nil ignores them.
	Reporter Reporter
	// ServerTLS, when set, wraps every listener passed to Serve; set
	// ClientAuth to tls.RequireAndVerifyClientCert for mutual TLS.
	ServerTLS *tls.Config
	// ClientTLS, when set, is used to dial peers (with a client
	// certificate for mutual TLS).
	ClientTLS *tls.Config
	// MaxFrameSize bounds one frame's payload, sent or received. A larger
	// received frame closes its connection; a message that cannot fit is
	// dropped. Default 64 MiB.
	MaxFrameSize int
	// QueueSize bounds each peer's outgoing queue, in envelopes; when it
	// is full new messages are dropped. Default 4096.
	QueueSize int
	// SnapshotChunkSize is the size of one snapshot body frame. Default
	// 1 MiB; at most MaxFrameSize.
	SnapshotChunkSize int
	// DialTimeout bounds a TCP (and TLS) dial. Default 1s.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the handshake exchange. Default 5s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one write; a peer that stops reading for this
	// long loses its connection. Default 10s.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between failed dials to a
	// peer; it doubles from MinBackoff up to MaxBackoff, with jitter, and
	// resets on a successful handshake. Defaults 20ms and 1s.
	MinBackoff, MaxBackoff time.Duration
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultMaxFrameSize      = 64 << 20
	DefaultQueueSize         = 4096
	DefaultSnapshotChunkSize = 1 << 20
)

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	switch {
	case c.NodeID == 0:
		return errors.New("transport: NodeID must be non-zero")
	case c.Handler == nil:
		return errors.New("transport: Handler is required")
	case c.MaxFrameSize < 0 || c.QueueSize < 0 || c.SnapshotChunkSize < 0:
		return errors.New("transport: sizes must not be negative")
	case c.MaxFrameSize > 0 && c.MaxFrameSize < 1024:
		return fmt.Errorf("transport: MaxFrameSize %d is below 1024", c.MaxFrameSize)
	case c.MaxFrameSize > maxFrameLimit:
		return fmt.Errorf("transport: MaxFrameSize %d is above %d", c.MaxFrameSize, maxFrameLimit)
	case c.MinBackoff < 0 || c.MaxBackoff < 0 || (c.MaxBackoff > 0 && c.MinBackoff > c.MaxBackoff):
		return errors.New("transport: bad backoff bounds")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.SnapshotChunkSize == 0 {
		c.SnapshotChunkSize = DefaultSnapshotChunkSize
	}
	c.SnapshotChunkSize = min(c.SnapshotChunkSize, c.MaxFrameSize)
	if c.DialTimeout == 0 {
		c.DialTimeout = time.Second
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 5 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 20 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Second
	}
	c.MinBackoff = min(c.MinBackoff, c.MaxBackoff)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Reporter == nil {
		c.Reporter = nopReporter{}
	}
	return c
}

type nopReporter struct{}

func (nopReporter) Unreachable(uint64, uint64)           {}
func (nopReporter) SnapshotStatus(uint64, uint64, error) {}
