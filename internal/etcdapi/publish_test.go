package etcdapi

import (
	"context"
	"sync"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// publishingBackend records what Publish is given.
type publishingBackend struct {
	*fakeBackend
	mu  sync.Mutex
	got []*pb.Member
}

func (p *publishingBackend) Publish(_ context.Context, m *pb.Member) (*pb.Member, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, m)
	return m, nil
}

func TestPublishVia(t *testing.T) {
	pb1 := &publishingBackend{fakeBackend: newFakeBackend(t, 1)}
	_, addr := serve(t, pb1, Config{})
	ln := "http://" + addr
	follower := newTestServer(t)
	self := &pb.Member{ID: 2, Name: "n2", PeerURLs: []string{"http://127.0.0.1:9"}, ClientURLs: []string{follower.url}}
	if err := follower.srv.PublishVia(testCtx(t), &pb.Member{ID: 1, ClientURLs: []string{ln}}, self); err != nil {
		t.Fatal(err)
	}
	pb1.mu.Lock()
	defer pb1.mu.Unlock()
	if len(pb1.got) != 1 || !proto.Equal(pb1.got[0], self) {
		t.Fatalf("leader recorded %v", pb1.got)
	}
}
