package coord

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/raft"
	"triad/internal/storage/vfs"
	"triad/internal/transport"
	"triad/internal/transport/memnet"
)

// fakeClock is a settable clock shared by a test cluster's services.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) Now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) Add(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func newFakeClock() *fakeClock           { c := &fakeClock{}; c.ms.Store(time.Now().UnixMilli()); return c }
func svcMember(id uint64) *pb.Member {
	return &pb.Member{ID: id, Name: fmt.Sprintf("n%d", id), ClientURLs: []string{fmt.Sprintf("http://node%d:2379", id)}}
}
func svcCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	pollUntil(t, 20*time.Second, what, cond)
}

func pollUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-time.After(5 * time.Millisecond)
	}
}

type svcNode struct {
	id   uint64
	fs   *vfs.MemFS
	tn   *memnet.Node
	host *raft.Host
	svc  *Service
}

type svcCluster struct {
	tweak func(*ServiceConfig)
	t     *testing.T
	net   *memnet.Network
	clock *fakeClock
	ids   []uint64
	nodes map[uint64]*svcNode
	// svcMu guards the nodes' svc pointers against PublishVia, which runs
	// on the services' own goroutines while the test starts and stops
	// nodes.
	svcMu sync.Mutex
}

func newSvcCluster(t *testing.T, n int, tweak ...func(*ServiceConfig)) *svcCluster {
	c := &svcCluster{t: t, net: memnet.New(), clock: newFakeClock(), nodes: map[uint64]*svcNode{}}
	for i := 1; i <= n; i++ {
		c.ids = append(c.ids, uint64(i))
		c.nodes[uint64(i)] = &svcNode{id: uint64(i), fs: vfs.NewMem()}
	}
	if len(tweak) > 0 {
		c.tweak = tweak[0]
	}
	for _, id := range c.ids {
		c.start(id)
	}
	t.Cleanup(func() {
		for _, id := range c.ids {
			c.stop(id)
		}
	})
	return c
}

func (c *svcCluster) start(id uint64) {
	nd := c.nodes[id]
	r := &transport.Relay{}
	nd.tn = c.net.NewNode(id, r, r)
	for _, p := range c.ids {
		if p != id {
			nd.tn.AddPeer(p, "")
		}
	}
	h, err := raft.NewHost(raft.Config{NodeID: id, FS: nd.fs, Dir: "/data", Transport: nd.tn,
		TickInterval: 10 * time.Millisecond, ElectionTicks: 20})
	if err != nil {
		c.t.Fatal(err)
	}
	r.Set(h)
	nd.host = h
	cfg := ServiceConfig{Host: h, Self: svcMember(id), Peers: c.ids, ClusterID: 7, Now: c.clock.Now,
		// What the front-end does over gRPC, done in memory.
		PublishVia: func(ctx context.Context, leader, self *pb.Member) error {
			c.svcMu.Lock()
			var to *Service
			if other := c.nodes[leader.ID]; other != nil {
				to = other.svc
			}
			c.svcMu.Unlock()
			if to == nil {
				return ErrNoLeader
			}
			_, err := to.Publish(ctx, self)
			return err
		}}
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	svc, err := NewService(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.svcMu.Lock()
	nd.svc = svc
	c.svcMu.Unlock()
}

func (c *svcCluster) stop(id uint64) {
	nd := c.nodes[id]
	if nd.host == nil {
		return
	}
	nd.svc.Close()
	nd.tn.Close()
	nd.host.Close()
	c.svcMu.Lock()
	nd.host, nd.svc = nil, nil
	c.svcMu.Unlock()
}

func (c *svcCluster) leader() *svcNode {
	c.t.Helper()
	var ld *svcNode
	waitFor(c.t, "a leader", func() bool {
		for _, id := range c.ids {
			nd := c.nodes[id]
			if nd.host == nil {
				continue
			}
			if st, err := nd.host.Status(DefaultGroupID); err == nil && st.IsLeader {
				ld = nd
				return true
			}
		}
		return false
	})
	return ld
}

// tookOver waits until the leader has renewed the leases and published
// itself, i.e. is ready to expire leases.
func (c *svcCluster) tookOver(nd *svcNode) {
	c.t.Helper()
	waitFor(c.t, "leader took over", func() bool {
		nd.svc.lmu.Lock()
		defer nd.svc.lmu.Unlock()
		st, _ := nd.host.Status(DefaultGroupID)
		return nd.svc.leaderTerm == st.Term && st.IsLeader
	})
}

func (c *svcCluster) follower(not uint64) *svcNode {
	for _, id := range c.ids {
		if nd := c.nodes[id]; id != not && nd.host != nil {
			return nd
		}
	}
	c.t.Fatal("no follower")
	return nil
}

func TestServiceSingleNode(t *testing.T) {
	c := newSvcCluster(t, 1)
	ctx := svcCtx(t)
	ld := c.leader()
	c.tookOver(ld)
	s := ld.svc
	put, err := s.Put(ctx, &pb.PutRequest{Key: []byte("a"), Value: []byte("1")})
	if err != nil {
		t.Fatal(err)
	}
	if h := put.Header; h.Revision != 2 || h.ClusterId != 7 || h.MemberId != 1 || h.RaftTerm == 0 {
		t.Fatalf("put header %+v", h)
	}
	rr, err := s.Range(ctx, &pb.RangeRequest{Key: []byte("a")})
	if err != nil || len(rr.Kvs) != 1 || string(rr.Kvs[0].Value) != "1" {
		t.Fatalf("range %v %v", rr, err)
	}
	txn, err := s.Txn(ctx, &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: []byte("a"), Target: pb.Compare_VALUE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_Value{Value: []byte("1")}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("a"), Value: []byte("2")}}}},
	})
	if err != nil || !txn.Succeeded || txn.Header.Revision != 3 {
		t.Fatalf("txn %v %v", txn, err)
	}
	// A read-only txn does not go through the log.
	before := s.Store().AppliedIndex()
	ro, err := s.Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a")}}}}})
	if err != nil || string(ro.Responses[0].GetResponseRange().Kvs[0].Value) != "2" || s.Store().AppliedIndex() != before {
		t.Fatalf("read-only txn %v %v (applied %d → %d)", ro, err, before, s.Store().AppliedIndex())
	}
	if _, err := s.Put(ctx, &pb.PutRequest{}); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("empty key: %v", err)
	}
	ml, err := s.MemberList(ctx, true)
	if err != nil || len(ml.Members) != 1 || ml.Members[0].Name != "n1" || len(ml.Members[0].ClientURLs) != 1 {
		t.Fatalf("member list %v %v", ml, err)
	}
	stat, err := s.Status(ctx)
	if err != nil || stat.Leader != 1 || stat.Version != APIVersion || stat.RaftAppliedIndex == 0 {
		t.Fatalf("status %v %v", stat, err)
	}
}

func TestServiceLeaseExpiryAndKeepAlive(t *testing.T) {
	c := newSvcCluster(t, 1)
	ctx := svcCtx(t)
	ld := c.leader()
	c.tookOver(ld)
	s := ld.svc
	g, err := s.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 5})
	if err != nil || g.ID == 0 || g.TTL != 5 {
		t.Fatalf("grant %v %v", g, err)
	}
	if _, err := s.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte("v"), Lease: g.ID}); err != nil {
		t.Fatal(err)
	}
	w, _ := s.Watch(WatchOptions{Key: []byte("k")})
	defer w.Cancel()
	c.clock.Add(4 * time.Second)
	if _, err := s.LeaseKeepAlive(ctx, &pb.LeaseKeepAliveRequest{ID: g.ID}); err != nil {
		t.Fatal(err)
	}
	c.clock.Add(4 * time.Second) // 8 s after grant, 4 s after the keep-alive: alive
	ttl, err := s.LeaseTimeToLive(ctx, &pb.LeaseTimeToLiveRequest{ID: g.ID, Keys: true})
	if err != nil || ttl.TTL < 0 || len(ttl.Keys) != 1 {
		t.Fatalf("ttl %v %v", ttl, err)
	}
	c.clock.Add(2 * time.Second) // past the deadline: the leader revokes it
	select {
	case r := <-w.C:
		if len(r.Events) != 1 || r.Events[0].Type != 1 {
			t.Fatalf("watch got %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("lease was not revoked")
	}
	if _, err := s.LeaseTimeToLive(ctx, &pb.LeaseTimeToLiveRequest{ID: g.ID}); !errors.Is(err, ErrLeaseNotFound) {
		t.Fatalf("revoked lease ttl: %v", err)
	}
}

func TestServiceThreeNodes(t *testing.T) {
	c := newSvcCluster(t, 3)
	ctx := svcCtx(t)
	ld := c.leader()
	fo := c.follower(ld.id)
	// The follower refers writes to the leader, once the leader has
	// published its client URLs.
	waitFor(t, "leader attributes", func() bool {
		_, err := fo.svc.Put(ctx, &pb.PutRequest{Key: []byte("x"), Value: []byte("y")})
		var nl *NotLeaderError
		return errors.As(err, &nl) && nl.LeaderID == ld.id && nl.Leader != nil && nl.Leader.Name == fmt.Sprintf("n%d", ld.id)
	})
	put, err := ld.svc.Put(ctx, &pb.PutRequest{Key: []byte("x"), Value: []byte("y")})
	if err != nil {
		t.Fatal(err)
	}
	// A linearizable read on a follower sees the acknowledged write.
	rr, err := fo.svc.Range(ctx, &pb.RangeRequest{Key: []byte("x")})
	if err != nil || len(rr.Kvs) != 1 || rr.Header.Revision < put.Header.Revision {
		t.Fatalf("follower range %v %v", rr, err)
	}
	// A watch on a follower sees writes made on the leader.
	w, _ := fo.svc.Watch(WatchOptions{Key: []byte("w")})
	defer w.Cancel()
	if _, err := ld.svc.Put(ctx, &pb.PutRequest{Key: []byte("w"), Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-w.C:
		if len(r.Events) != 1 {
			t.Fatalf("watch %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("no watch event on the follower")
	}
	// Every member eventually publishes; the list has all three.
	waitFor(t, "all members published", func() bool {
		ml, err := fo.svc.MemberList(ctx, false)
		if err != nil || len(ml.Members) != 3 {
			return false
		}
		for _, m := range ml.Members {
			if m.Name == "" {
				return false
			}
		}
		return true
	})

	// Leader loss: a lease survives (renewed by the new leader) and no
	// acknowledged write is lost.
	g, err := ld.svc.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 3})
	if err != nil {
		t.Fatal(err)
	}
	c.stop(ld.id)
	nl := c.leader()
	rr, err = nl.svc.Range(ctx, &pb.RangeRequest{Key: []byte("x")})
	if err != nil || len(rr.Kvs) != 1 {
		t.Fatalf("after failover %v %v", rr, err)
	}
	c.tookOver(nl)
	ttl, err := nl.svc.LeaseTimeToLive(ctx, &pb.LeaseTimeToLiveRequest{ID: g.ID})
	if err != nil || ttl.TTL < 2 {
		t.Fatalf("lease after failover %v %v", ttl, err)
	}
	// The old leader restarts from its own data and catches up.
	c.start(ld.id)
	if _, err := nl.svc.Put(ctx, &pb.PutRequest{Key: []byte("after"), Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "restarted node catches up", func() bool {
		rr, err := c.nodes[ld.id].svc.Range(ctx, &pb.RangeRequest{Key: []byte("after"), Serializable: true})
		return err == nil && len(rr.Kvs) == 1
	})
}

func TestServiceConcurrentLinearizableReads(t *testing.T) {
	c := newSvcCluster(t, 3)
	ctx := svcCtx(t)
	ld := c.leader()
	fo := c.follower(ld.id)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 50 {
		wg.Go(func() {
			key := []byte(fmt.Sprintf("k%d", i))
			put, err := ld.svc.Put(ctx, &pb.PutRequest{Key: key, Value: key})
			if err != nil {
				errs <- err
				return
			}
			rr, err := fo.svc.Range(ctx, &pb.RangeRequest{Key: key})
			if err != nil {
				errs <- err
				return
			}
			if len(rr.Kvs) != 1 || rr.Header.Revision < put.Header.Revision {
				errs <- fmt.Errorf("stale read of %s: %v", key, rr)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A keep-alive right after a refresh is answered without a log entry; one
// later is logged and moves the deadline.
func TestServiceKeepAliveCoalescing(t *testing.T) {
	c := newSvcCluster(t, 1)
	ctx := svcCtx(t)
	ld := c.leader()
	c.tookOver(ld)
	s := ld.svc
	g, err := s.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 10})
	if err != nil {
		t.Fatal(err)
	}
	before := s.Store().AppliedIndex()
	ka, err := s.LeaseKeepAlive(ctx, &pb.LeaseKeepAliveRequest{ID: g.ID})
	if err != nil || ka.TTL != 10 || ka.ID != g.ID {
		t.Fatalf("keep-alive %v %v", ka, err)
	}
	if s.Store().AppliedIndex() != before {
		t.Fatal("a keep-alive right after the grant went through the log")
	}
	c.clock.Add(time.Second)
	if _, err := s.LeaseKeepAlive(ctx, &pb.LeaseKeepAliveRequest{ID: g.ID}); err != nil {
		t.Fatal(err)
	}
	_, deadline, _ := s.Store().LeaseDeadline(g.ID)
	if want := c.clock.Now().UnixMilli() + 10_000; deadline != want {
		t.Fatalf("deadline %d, want %d", deadline, want)
	}
	if _, err := s.LeaseKeepAlive(ctx, &pb.LeaseKeepAliveRequest{ID: 12345}); !errors.Is(err, ErrLeaseNotFound) {
		t.Fatalf("unknown lease: %v", err)
	}
}

func TestServiceAutoCompaction(t *testing.T) {
	c := newSvcCluster(t, 1, func(cfg *ServiceConfig) {
		cfg.AutoCompactRevisions, cfg.AutoCompactInterval = 5, time.Millisecond
	})
	ctx := svcCtx(t)
	s := c.leader().svc
	for i := range 20 {
		if _, err := s.Put(ctx, &pb.PutRequest{Key: []byte("k"), Value: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "auto-compaction", func() bool { return s.Store().CompactRev() == s.Store().Rev()-5 })
	if _, err := s.Range(ctx, &pb.RangeRequest{Key: []byte("k"), Revision: 2}); !errors.Is(err, ErrCompacted) {
		t.Fatalf("old revision after auto-compaction: %v", err)
	}
}
