package etcdapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"triad/internal/coord"
)

// fakeBackend is the Backend over a real coord.Store with no raft below
// it: writes are applied at once through the real log encoding, reads and
// watches go to the store, membership and status are canned. notLeader,
// when set, is what every write answers instead.
type fakeBackend struct {
	store     *coord.Store
	memberID  uint64
	clientURL string

	mu        sync.Mutex
	nextID    uint64
	notLeader *coord.NotLeaderError
	writes    int // writes that reached the store
}

const testClusterID = 0xc1

func newFakeBackend(t *testing.T, memberID uint64) *fakeBackend {
	t.Helper()
	s, err := coord.New(coord.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeBackend{store: s, memberID: memberID, nextID: memberID << 32}
}

func (b *fakeBackend) apply(req proto.Message) (proto.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notLeader != nil {
		return nil, b.notLeader
	}
	b.nextID++
	data, err := coord.Encode(b.nextID, time.Now().UnixMilli(), req)
	if err != nil {
		return nil, err
	}
	res := b.store.Apply(0, data)
	if res.Err != nil {
		return nil, res.Err
	}
	b.writes++
	return res.Response, nil
}

func applyAs[T proto.Message](b *fakeBackend, req proto.Message) (T, error) {
	resp, err := b.apply(req)
	if err != nil {
		var zero T
		return zero, err
	}
	return resp.(T), nil
}

func (b *fakeBackend) Range(_ context.Context, req *pb.RangeRequest) (*pb.RangeResponse, error) {
	return b.store.Range(req)
}

func (b *fakeBackend) Put(_ context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	return applyAs[*pb.PutResponse](b, req)
}

func (b *fakeBackend) DeleteRange(_ context.Context, req *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	return applyAs[*pb.DeleteRangeResponse](b, req)
}

func (b *fakeBackend) Txn(_ context.Context, req *pb.TxnRequest) (*pb.TxnResponse, error) {
	resp, err := b.store.Txn(req)
	if errors.Is(err, coord.ErrNotReadOnly) {
		return applyAs[*pb.TxnResponse](b, req)
	}
	return resp, err
}

func (b *fakeBackend) Compact(_ context.Context, req *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	return applyAs[*pb.CompactionResponse](b, req)
}

func (b *fakeBackend) LeaseGrant(_ context.Context, req *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
	return applyAs[*pb.LeaseGrantResponse](b, req)
}

func (b *fakeBackend) LeaseRevoke(_ context.Context, req *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	return applyAs[*pb.LeaseRevokeResponse](b, req)
}

func (b *fakeBackend) LeaseKeepAlive(_ context.Context, req *pb.LeaseKeepAliveRequest) (*pb.LeaseKeepAliveResponse, error) {
	return applyAs[*pb.LeaseKeepAliveResponse](b, req)
}

func (b *fakeBackend) LeaseTimeToLive(_ context.Context, req *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
	return b.store.LeaseTimeToLive(req, time.Now())
}

func (b *fakeBackend) LeaseLeases(_ context.Context, req *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
	return b.store.LeaseLeases(req), nil
}

func (b *fakeBackend) Watch(opts coord.WatchOptions) (*coord.Watcher, error) {
	return b.store.Watch(opts), nil
}

func (b *fakeBackend) Header() *pb.ResponseHeader {
	return &pb.ResponseHeader{ClusterId: testClusterID, MemberId: b.memberID, RaftTerm: 7, Revision: b.store.Rev()}
}

func (b *fakeBackend) MemberList(context.Context, bool) (*pb.MemberListResponse, error) {
	return &pb.MemberListResponse{Members: []*pb.Member{{
		ID: b.memberID, Name: fmt.Sprintf("n%d", b.memberID),
		PeerURLs: []string{"http://127.0.0.1:1"}, ClientURLs: []string{b.clientURL},
	}}}, nil
}

func (b *fakeBackend) MemberAdd(context.Context, *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
	return nil, errors.New("fake: membership is fixed")
}

func (b *fakeBackend) MemberRemove(context.Context, *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
	return nil, coord.ErrMemberNotFound
}

func (b *fakeBackend) MemberUpdate(context.Context, *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error) {
	return nil, coord.ErrMemberNotFound
}

func (b *fakeBackend) MemberPromote(context.Context, *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error) {
	return nil, coord.ErrMemberNotFound
}

func (b *fakeBackend) Publish(_ context.Context, m *pb.Member) (*pb.Member, error) {
	return applyAs[*pb.Member](b, m)
}

func (b *fakeBackend) Status(context.Context) (*pb.StatusResponse, error) {
	return &pb.StatusResponse{Version: "3.5.0", Leader: b.memberID, RaftIndex: 1, RaftTerm: 7, RaftAppliedIndex: 1}, nil
}

// testServer is a Server on a port-0 listener over a fake backend.
type testServer struct {
	srv  *Server
	b    *fakeBackend
	addr string // host:port
	url  string // http://host:port
}

func startServer(t *testing.T, b *fakeBackend, cfg Config) *testServer {
	t.Helper()
	srv, addr := serve(t, b, cfg)
	ts := &testServer{srv: srv, b: b, addr: addr, url: "http://" + addr}
	b.clientURL = ts.url
	return ts
}

// serve runs a Server over any Backend on a port-0 listener until the test
// ends, and returns it with its address.
func serve(t *testing.T, b Backend, cfg Config) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, newFakeBackend(t, 1), Config{})
}

func newClient(t *testing.T, addr string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{addr},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
