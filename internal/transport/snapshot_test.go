package transport

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func snapMsg(to uint64) *raftpb.Message {
	typ := raftpb.MsgSnap
	idx, term := uint64(42), uint64(3)
	return &raftpb.Message{Type: &typ, To: &to, Snapshot: &raftpb.Snapshot{
		Data:     []byte("descriptor: snap-42"),
		Metadata: &raftpb.SnapshotMetadata{Index: &idx, Term: &term},
	}}
}

type closeTracker struct {
	io.Reader
	closed chan struct{}
}

func (c *closeTracker) Close() error { close(c.closed); return nil }

func TestSnapshotStreamedIntact(t *testing.T) {
	const size = 20<<20 + 12345
	body := make([]byte, size)
	rand.Read(body)
	want := sha256.Sum256(body)

	b := startNode(t, Config{NodeID: 2}, nil)
	a := startNode(t, Config{NodeID: 1}, nil)
	a.t.AddPeer(2, b.addr)

	type got struct {
		from  uint64
		env   Envelope
		sum   [32]byte
		n     int64
		beats int
	}
	gotc := make(chan got, 1)
	release := make(chan struct{})
	b.rec.snapFn = func(from uint64, env Envelope, r io.Reader) error {
		h := sha256.New()
		// Read the first megabyte, then wait: heartbeats must still flow
		// on the message connection while the snapshot is in progress.
		n, err := io.CopyN(h, r, 1<<20)
		if err != nil {
			return err
		}
		<-release
		m, err := io.Copy(h, r)
		if err != nil {
			return err
		}
		var g got
		g.from, g.env, g.n = from, env, n+m
		copy(g.sum[:], h.Sum(nil))
		gotc <- g
		return nil
	}
	rc := &closeTracker{Reader: bytes.NewReader(body), closed: make(chan struct{})}
	a.t.SendSnapshot(2, Envelope{Group: 11, Msg: snapMsg(2)}, rc)
	sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })
	close(release)
	g := <-gotc
	if g.from != 1 || g.env.Group != 11 || g.env.Msg.GetType() != raftpb.MsgSnap ||
		string(g.env.Msg.GetSnapshot().GetData()) != "descriptor: snap-42" || g.env.Msg.GetSnapshot().GetMetadata().GetIndex() != 42 {
		t.Fatalf("snapshot message: from %d group %d %v", g.from, g.env.Group, g.env.Msg)
	}
	if g.n != size || g.sum != want {
		t.Fatalf("body: %d bytes, checksum match %v", g.n, g.sum == want)
	}
	a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) == 1 })
	if err := a.rec.snapStatus[0]; err != nil {
		t.Fatalf("SnapshotStatus: %v", err)
	}
	<-rc.closed
}

func TestSnapshotHandlerErrorReported(t *testing.T) {
	b := startNode(t, Config{NodeID: 2}, nil)
	a := startNode(t, Config{NodeID: 1}, nil)
	a.t.AddPeer(2, b.addr)
	b.rec.snapFn = func(uint64, Envelope, io.Reader) error { return errors.New("disk full") }
	a.t.SendSnapshot(2, Envelope{Group: 1, Msg: snapMsg(2)}, io.NopCloser(bytes.NewReader(make([]byte, 100))))
	a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) == 1 })
	var re *RemoteError
	if err := a.rec.snapStatus[0]; !errors.As(err, &re) || re.Msg != "disk full" {
		t.Fatalf("SnapshotStatus err = %v, want the receiver's error", err)
	}

	// Unknown peer and unreachable peer fail too.
	a.t.SendSnapshot(9, Envelope{Group: 1, Msg: snapMsg(9)}, io.NopCloser(bytes.NewReader(nil)))
	a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) == 2 })
	if err := a.rec.snapStatus[1]; !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	a.t.AddPeer(3, "127.0.0.1:1")
	a.t.SendSnapshot(3, Envelope{Group: 1, Msg: snapMsg(3)}, io.NopCloser(bytes.NewReader(nil)))
	a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) == 3 })
	if a.rec.snapStatus[2] == nil {
		t.Fatal("snapshot to a dead address succeeded")
	}
}
