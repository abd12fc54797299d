package etcdapi

import (
	"context"
	"errors"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"triad/internal/coord"
)

// followerOf starts a server whose Backend sends every write to leader.
func followerOf(t *testing.T, leader *testServer, memberID uint64) *testServer {
	t.Helper()
	b := newFakeBackend(t, memberID)
	b.notLeader = &coord.NotLeaderError{
		LeaderID: leader.b.memberID,
		Leader:   &pb.Member{ID: leader.b.memberID, ClientURLs: []string{leader.url}},
	}
	return startServer(t, b, Config{})
}

func TestForwardToLeader(t *testing.T) {
	leader := newTestServer(t)
	follower := followerOf(t, leader, 2)
	cli := newClient(t, follower.addr)
	ctx := testCtx(t)

	if _, err := cli.Put(ctx, "f", "v"); err != nil {
		t.Fatal(err)
	}
	r, err := leader.b.store.Range(&pb.RangeRequest{Key: []byte("f")})
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v" {
		t.Fatalf("leader's store: %v %v", r, err)
	}
	follower.b.mu.Lock()
	writes := follower.b.writes
	follower.b.mu.Unlock()
	if writes != 0 {
		t.Fatalf("follower applied %d writes", writes)
	}
	if _, err := cli.Txn(ctx).Then(clientv3.OpPut("g", "1")).Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, "g"); err != nil {
		t.Fatal(err)
	}

	grant, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := leader.b.store.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: int64(grant.ID)}, time.Now()); ok != nil {
		t.Fatalf("lease not on the leader: %v", ok)
	}
	ka, err := cli.KeepAliveOnce(ctx, grant.ID)
	if err != nil || ka.TTL != 60 {
		t.Fatalf("forwarded keep-alive %+v %v", ka, err)
	}
	ch, err := cli.KeepAlive(ctx, grant.ID)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-ch:
		if resp == nil || resp.ID != grant.ID {
			t.Fatalf("keep-alive channel %+v", resp)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no forwarded keep-alive response")
	}
	if _, err := cli.Revoke(ctx, grant.ID); err != nil {
		t.Fatal(err)
	}
}

func TestForwardNoLeader(t *testing.T) {
	b := newFakeBackend(t, 3)
	b.notLeader = &coord.NotLeaderError{LeaderID: 9}
	orphan := startServer(t, b, Config{})
	cli := newClient(t, orphan.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "k", "v"); !errors.Is(err, rpctypes.ErrNoLeader) {
		t.Fatalf("put without a leader: %v, want %v", err, rpctypes.ErrNoLeader)
	}

	// Two nodes that each name the other as leader: the forwarded request
	// is not forwarded back, and the client hears "no leader".
	a := newFakeBackend(t, 4)
	sa := startServer(t, a, Config{})
	sb := followerOf(t, sa, 5)
	a.mu.Lock()
	a.notLeader = &coord.NotLeaderError{LeaderID: 5, Leader: &pb.Member{ID: 5, ClientURLs: []string{sb.url}}}
	a.mu.Unlock()
	cc, err := grpc.NewClient(sb.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	_, err = pb.NewKVClient(cc).Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	if !errors.Is(err, rpctypes.ErrGRPCNoLeader) {
		t.Fatalf("put between two followers: %v, want %v", err, rpctypes.ErrGRPCNoLeader)
	}
}
