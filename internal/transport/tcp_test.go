package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

func TestBatchesArriveInOrder(t *testing.T) {
	a := startNode(t, Config{NodeID: 1}, nil)
	b := startNode(t, Config{NodeID: 2}, nil)
	a.t.AddPeer(2, b.addr)
	const total = 5000
	sent := 0
	for sent < total {
		n := 1 + sent%37
		envs := make([]Envelope, 0, n)
		for range n {
			if sent == total {
				break
			}
			envs = append(envs, Envelope{Group: uint64(sent % 3), Msg: msg(raftpb.MsgApp, 2, uint64(sent))})
			sent++
		}
		a.t.Send(2, envs...)
		// Stay under the queue bound: the test is about order, not loss.
		b.rec.waitFor(t, "receiver to catch up", func() bool { return len(b.rec.received()) >= sent-2000 })
	}
	b.rec.waitFor(t, "all messages", func() bool { return len(b.rec.received()) >= total })
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	for i, e := range b.rec.received() {
		if e.Msg.GetIndex() != uint64(i) || e.Group != uint64(i%3) || e.Msg.GetType() != raftpb.MsgApp || e.Msg.GetTo() != 2 {
			t.Fatalf("message %d: got group %d %v", i, e.Group, e.Msg)
		}
	}
	for _, f := range b.rec.froms {
		if f != 1 {
			t.Fatalf("from = %d, want 1", f)
		}
	}
	if len(b.rec.batches) >= total {
		t.Logf("no coalescing observed: %d batches for %d messages", len(b.rec.batches), total)
	}
}

// sendUntil sends one message per event (or every few ms) until got holds.
func sendUntil(t *testing.T, from *node, to uint64, rec *recorder, got func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for i := uint64(0); ; i++ {
		from.t.Send(to, Envelope{Group: 9, Msg: msg(raftpb.MsgHeartbeat, to, i)})
		rec.mu.Lock()
		ok, ch := got(), rec.changed
		rec.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out sending")
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	a := startNode(t, Config{NodeID: 1}, nil)
	b := startNode(t, Config{NodeID: 2}, nil)
	a.t.AddPeer(2, b.addr)
	sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })

	b.stop()
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", b.addr, err)
	}
	b2 := startNode(t, Config{NodeID: 2}, ln)
	sendUntil(t, a, 2, b2.rec, func() bool { return len(b2.rec.batches) > 0 })

	// UpdatePeer moves the peer to a new address.
	b2.stop()
	b3 := startNode(t, Config{NodeID: 2}, nil)
	a.t.UpdatePeer(2, b3.addr)
	sendUntil(t, a, 2, b3.rec, func() bool { return len(b3.rec.batches) > 0 })

	// With nobody listening, sends fail and are reported.
	b3.stop()
	a.rec.mu.Lock()
	clear(a.rec.unreachable)
	a.rec.mu.Unlock()
	sendUntil(t, a, 2, a.rec, func() bool { return a.rec.unreachable[[2]uint64{2, 9}] > 0 })
}

func TestQueueFullDropsReported(t *testing.T) {
	// A "peer" that accepts and never answers the handshake: the writer
	// is stuck in its dial, so the queue fills.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	a := startNode(t, Config{NodeID: 1, QueueSize: 4, HandshakeTimeout: time.Minute}, nil)
	a.t.AddPeer(2, ln.Addr().String())
	a.t.Send(2, Envelope{Group: 1, Msg: msg(raftpb.MsgHeartbeat, 2, 0)})
	c := <-accepted
	defer c.Close()
	// The writer has taken the first message and is dialing.
	var envs []Envelope
	for i := range 4 {
		envs = append(envs, Envelope{Group: 2, Msg: msg(raftpb.MsgApp, 2, uint64(i))})
	}
	envs = append(envs, Envelope{Group: 3, Msg: msg(raftpb.MsgApp, 2, 4)}, Envelope{Group: 4, Msg: msg(raftpb.MsgApp, 2, 5)})
	start := time.Now()
	a.t.Send(2, envs...)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send blocked for %v", d)
	}
	a.rec.waitFor(t, "drops reported", func() bool {
		return a.rec.unreachable[[2]uint64{2, 3}] > 0 && a.rec.unreachable[[2]uint64{2, 4}] > 0
	})
	a.rec.mu.Lock()
	defer a.rec.mu.Unlock()
	if a.rec.unreachable[[2]uint64{2, 2}] != 0 {
		t.Error("group 2 fit in the queue but was reported")
	}
}

func TestUnknownPeerReported(t *testing.T) {
	a := startNode(t, Config{NodeID: 1}, nil)
	a.t.Send(5, Envelope{Group: 3, Msg: msg(raftpb.MsgApp, 5, 1)})
	a.rec.waitFor(t, "unreachable", func() bool { return a.rec.unreachable[[2]uint64{5, 3}] > 0 })
}

func TestBadHandshakeRefused(t *testing.T) {
	b := startNode(t, Config{NodeID: 2, ClusterID: 100}, nil)

	other := startNode(t, Config{NodeID: 1, ClusterID: 200}, nil)
	other.t.AddPeer(2, b.addr)
	other.t.Send(2, Envelope{Group: 1, Msg: msg(raftpb.MsgHeartbeat, 2, 1)})
	b.waitLog(t, "cluster ID mismatch")
	other.waitLog(t, "handshake refused by peer 2")
	other.rec.waitFor(t, "unreachable", func() bool { return other.rec.unreachable[[2]uint64{2, 1}] > 0 })

	wrongTo := startNode(t, Config{NodeID: 3, ClusterID: 100}, nil)
	wrongTo.t.AddPeer(4, b.addr) // believes node 4 lives at b's address
	wrongTo.t.Send(4, Envelope{Group: 1, Msg: msg(raftpb.MsgHeartbeat, 4, 1)})
	b.waitLog(t, "node ID mismatch: node 3 dialed node 4, but this is node 2")
	wrongTo.waitLog(t, "handshake refused")

	// Something that is not a peer at all is hung up on.
	c, err := net.Dial("tcp", b.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("want the server to close the connection, got %v", err)
	}
	b.waitLog(t, "refused connection")
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	if len(b.rec.batches) != 0 {
		t.Fatalf("refused peers delivered %d batches", len(b.rec.batches))
	}
}

// rawPeer dials n as node from and completes a message handshake by hand.
func rawPeer(t *testing.T, n *node, from uint64) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := hello{kind: kindMessages, clusterID: 7, from: from, to: n.t.cfg.NodeID}
	if _, err := c.Write(appendFrame(nil, frameHello, h.payload())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, p, _, err := readFrame(br, 1024, nil)
	if err != nil || typ != frameHelloAck {
		t.Fatalf("handshake: %q %v", typ, err)
	}
	if ok, reason, _ := parseStatus(p); !ok {
		t.Fatalf("refused: %s", reason)
	}
	return c, br
}

func batchFrame(t *testing.T, envs ...Envelope) []byte {
	var p []byte
	for _, e := range envs {
		_, size := envSize(e)
		var err error
		if p, err = appendEnv(p, e, size); err != nil {
			t.Fatal(err)
		}
	}
	return appendFrame(nil, frameBatch, p)
}

func TestCorruptOrOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	b := startNode(t, Config{NodeID: 2, MaxFrameSize: 4096}, nil)
	a := startNode(t, Config{NodeID: 1}, nil)
	a.t.AddPeer(2, b.addr)
	sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })

	good := batchFrame(t, Envelope{Group: 5, Msg: msg(raftpb.MsgApp, 2, 77)})
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-6] ^= 0xff
	oversized := binary.BigEndian.AppendUint32([]byte{frameBatch}, 1<<20)
	badPayload := appendFrame(nil, frameBatch, []byte{1, 200})
	for name, frame := range map[string][]byte{
		"corrupt": corrupt, "oversized": oversized, "bad payload": badPayload,
		"wrong type": appendFrame(nil, frameSnapChunk, []byte("x")),
	} {
		t.Run(name, func(t *testing.T) {
			// Ten raw peers (IDs 10+) each send a good frame, then the bad one.
			c, br := rawPeer(t, b, 10)
			if _, err := c.Write(good); err != nil {
				t.Fatal(err)
			}
			b.rec.waitFor(t, "good frame", func() bool {
				for i, f := range b.rec.froms {
					if f == 10 && b.rec.batches[i][0].Msg.GetIndex() == 77 {
						return true
					}
				}
				return false
			})
			c.Write(frame)
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("connection not closed by the server: %v", err)
			}
			b.rec.mu.Lock()
			b.rec.batches, b.rec.froms = nil, nil
			b.rec.mu.Unlock()
			// The other connection still works.
			sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })
		})
	}
	if !b.logs.contains("checksum mismatch") || !b.logs.contains("frame too large") {
		t.Errorf("expected checksum and size errors logged:\n%s", b.logs.b.String())
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		a := startNode(t, Config{NodeID: 1}, nil)
		b := startNode(t, Config{NodeID: 2}, nil)
		a.t.AddPeer(2, b.addr)
		b.t.AddPeer(1, a.addr)
		a.t.AddPeer(3, "127.0.0.1:1") // unreachable peer, in backoff
		sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })
		sendUntil(t, b, 1, a.rec, func() bool { return len(a.rec.batches) > 0 })
		a.t.Send(3, Envelope{Group: 1, Msg: msg(raftpb.MsgApp, 3, 1)})
		body := io.NopCloser(io.LimitReader(zeroReader{}, 3<<20))
		a.t.SendSnapshot(2, Envelope{Group: 4, Msg: snapMsg(2)}, body)
		a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) > 0 })
		a.stop()
		b.stop()
	}()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		<-tick.C
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New accepted NodeID 0")
	}
	if _, err := New(Config{NodeID: 1}); err == nil {
		t.Error("New accepted a nil Handler")
	}
	if _, err := New(Config{NodeID: 1, Handler: newRecorder(), MaxFrameSize: 10}); err == nil {
		t.Error("New accepted a tiny MaxFrameSize")
	}
}
