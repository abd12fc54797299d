package memnet

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"triad/internal/transport"
)

type rec struct {
	mu          sync.Mutex
	changed     chan struct{}
	got         []uint64 // message indexes
	unreachable map[[2]uint64]int
	snaps       []error
	body        []byte
	block       sync.Mutex // held by a test to prove delivery is asynchronous
}

func newRec() *rec {
	return &rec{changed: make(chan struct{}), unreachable: make(map[[2]uint64]int)}
}

func (r *rec) signal() { close(r.changed); r.changed = make(chan struct{}) }

func (r *rec) HandleBatch(_ uint64, envs []transport.Envelope) {
	r.block.Lock()
	r.block.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range envs {
		r.got = append(r.got, e.Msg.GetIndex())
	}
	r.signal()
}

func (r *rec) HandleSnapshot(_ uint64, _ transport.Envelope, body io.Reader) error {
	b, err := io.ReadAll(body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.body = b
	return err
}

func (r *rec) Unreachable(node, group uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreachable[[2]uint64{node, group}]++
	r.signal()
}

func (r *rec) SnapshotStatus(_, _ uint64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snaps = append(r.snaps, err)
	r.signal()
}

func (r *rec) waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("timed out")
		}
	}
}

func env(group, index uint64) transport.Envelope {
	typ := raftpb.MsgApp
	return transport.Envelope{Group: group, Msg: &raftpb.Message{Type: &typ, Index: &index}}
}

func cluster(t *testing.T, ids ...uint64) (*Network, map[uint64]*Node, map[uint64]*rec) {
	n := New()
	nodes, recs := map[uint64]*Node{}, map[uint64]*rec{}
	for _, id := range ids {
		recs[id] = newRec()
		nodes[id] = n.NewNode(id, recs[id], recs[id])
		t.Cleanup(func() { nodes[id].Close() })
	}
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				nodes[a].AddPeer(b, "")
			}
		}
	}
	return n, nodes, recs
}

func TestOrderedAsyncDelivery(t *testing.T) {
	_, nodes, recs := cluster(t, 1, 2)
	// The handler blocks while the test holds block: Send must still
	// return, so delivery is not synchronous.
	recs[2].block.Lock()
	for i := range 1000 {
		nodes[1].Send(2, env(1, uint64(i)))
	}
	recs[2].block.Unlock()
	recs[2].waitFor(t, func() bool { return len(recs[2].got) == 1000 })
	for i, idx := range recs[2].got {
		if idx != uint64(i) {
			t.Fatalf("message %d has index %d", i, idx)
		}
	}
}

func TestPartitionIsolateHeal(t *testing.T) {
	n, nodes, recs := cluster(t, 1, 2, 3)
	n.Partition(1, 2)
	nodes[1].Send(2, env(7, 1))
	recs[1].waitFor(t, func() bool { return recs[1].unreachable[[2]uint64{2, 7}] > 0 })
	nodes[2].Send(1, env(7, 1))
	recs[2].waitFor(t, func() bool { return recs[2].unreachable[[2]uint64{1, 7}] > 0 })
	nodes[1].Send(3, env(7, 5))
	recs[3].waitFor(t, func() bool { return len(recs[3].got) == 1 })

	n.Heal()
	n.Isolate(3)
	nodes[1].Send(3, env(8, 1))
	recs[1].waitFor(t, func() bool { return recs[1].unreachable[[2]uint64{3, 8}] > 0 })
	nodes[1].Send(2, env(8, 9))
	recs[2].waitFor(t, func() bool { return len(recs[2].got) == 1 && recs[2].got[0] == 9 })

	n.Heal()
	nodes[1].Send(3, env(8, 2))
	recs[3].waitFor(t, func() bool { return len(recs[3].got) == 2 })

	nodes[1].Send(99, env(4, 1)) // not a peer
	recs[1].waitFor(t, func() bool { return recs[1].unreachable[[2]uint64{99, 4}] > 0 })
}

func TestDropRate(t *testing.T) {
	n, nodes, recs := cluster(t, 1, 2)
	n.DropRate(0.5)
	for i := range 2000 {
		nodes[1].Send(2, env(1, uint64(i)))
	}
	n.DropRate(0)
	nodes[1].Send(2, env(1, 1<<40)) // a marker that is never lost
	recs[2].waitFor(t, func() bool { return len(recs[2].got) > 0 && recs[2].got[len(recs[2].got)-1] == 1<<40 })
	if got := len(recs[2].got) - 1; got < 700 || got > 1300 {
		t.Fatalf("%d of 2000 delivered at drop rate 0.5", got)
	}
}

func TestSnapshot(t *testing.T) {
	n, nodes, recs := cluster(t, 1, 2)
	body := bytes.Repeat([]byte("snap"), 1000)
	nodes[1].SendSnapshot(2, env(3, 1), io.NopCloser(bytes.NewReader(body)))
	recs[1].waitFor(t, func() bool { return len(recs[1].snaps) == 1 })
	if recs[1].snaps[0] != nil || !bytes.Equal(recs[2].body, body) {
		t.Fatalf("snapshot: %v, %d bytes", recs[1].snaps[0], len(recs[2].body))
	}
	n.Isolate(2)
	nodes[1].SendSnapshot(2, env(3, 1), io.NopCloser(bytes.NewReader(body)))
	recs[1].waitFor(t, func() bool { return len(recs[1].snaps) == 2 })
	if !errors.Is(recs[1].snaps[1], ErrUnreachable) {
		t.Fatalf("isolated snapshot: %v", recs[1].snaps[1])
	}
}
