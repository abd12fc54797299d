package transport

import (
	"sync"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

// countHandler counts delivered messages and wakes a waiter.
type countHandler struct {
	*recorder
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (c *countHandler) HandleBatch(_ uint64, envs []Envelope) {
	c.mu.Lock()
	c.n += len(envs)
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *countHandler) waitAtLeast(n int) {
	c.mu.Lock()
	for c.n < n {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

// BenchmarkSendSmall measures heartbeat-sized messages over loopback TCP:
// Send in slices of 64, with at most 4096 in flight so the queue never
// drops.
func BenchmarkSendSmall(b *testing.B) {
	h := &countHandler{}
	h.cond = sync.NewCond(&h.mu)
	h.recorder = newRecorder()
	recv := startNode(b, Config{NodeID: 2, Handler: h}, nil)
	send := startNode(b, Config{NodeID: 1, QueueSize: 8192}, nil)
	send.t.AddPeer(2, recv.addr)
	envs := make([]Envelope, 64)
	for i := range envs {
		envs[i] = Envelope{Group: uint64(i % 8), Msg: msg(raftpb.MsgHeartbeat, 2, uint64(i))}
	}
	// Connect before timing.
	send.t.Send(2, envs[0])
	h.waitAtLeast(1)
	base := 1
	b.ReportAllocs()
	b.ResetTimer()
	sent := 0
	for sent < b.N {
		n := min(len(envs), b.N-sent)
		send.t.Send(2, envs[:n]...)
		sent += n
		h.waitAtLeast(base + sent - 4096)
	}
	h.waitAtLeast(base + b.N)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
