package coord

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/raft"
	"triad/internal/storage/vfs"
	"triad/internal/transport"
	"triad/internal/transport/memnet"
)

// BenchmarkServicePut measures one sequential Put through a one-node
// service on the real filesystem: propose, fsync, commit, apply, reply —
// everything but gRPC. Compare with the disk's write+fdatasync latency.
func BenchmarkServicePut(b *testing.B) {
	r := &transport.Relay{}
	tn := memnet.New().NewNode(1, r, r)
	defer tn.Close()
	h, err := raft.NewHost(raft.Config{NodeID: 1, FS: vfs.OS(), Dir: b.TempDir(), Transport: tn, TickInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	r.Set(h)
	s, err := NewService(ServiceConfig{Host: h, Self: &pb.Member{ID: 1, Name: "n1"}, Peers: []uint64{1}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.Put(ctx, &pb.PutRequest{Key: []byte("warm"), Value: []byte("x")}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("no leader")
		}
		<-time.After(10 * time.Millisecond)
	}
	val := make([]byte, 256)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Put(ctx, &pb.PutRequest{Key: fmt.Appendf(nil, "k%d", i%100000), Value: val}); err != nil {
			b.Fatal(err)
		}
	}
}
