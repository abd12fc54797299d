package kafka

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

// startServer serves on a loopback port 0 until the test ends. tweak, if
// set, runs before Serve (tests add handlers to s.apis there).
func startServer(t *testing.T, cfg Config, b Backend, tweak func(*Server)) (*Server, string) {
	t.Helper()
	def := DefaultConfig()
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = def.MaxRequestBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := NewServer(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func hostPort(t *testing.T, addr string) (string, int32) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, int32(n)
}

func TestKgoApiVersions(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, nil)
	var log syncBuffer
	cl := newClient(t, addr, kgo.WithLogger(kgo.BasicLogger(&log, kgo.LogLevelDebug, nil)))
	// kgo starts at ApiVersions v5, gets UNSUPPORTED_VERSION with our range
	// and retries at v3 (KIP-511).
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(testCtx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "downgrading to version 3") {
		t.Errorf("kgo did not downgrade ApiVersions to v3:\n%s", log.String())
	}
	if resp.ErrorCode != CodeNone {
		t.Fatalf("error code %d", resp.ErrorCode)
	}
	got := map[int16][2]int16{}
	for _, k := range resp.ApiKeys {
		got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	want := map[int16][2]int16{
		0: {3, 9}, 1: {4, 12}, 2: {1, 7}, 3: {0, 9}, 18: {0, 3}, 19: {0, 6}, 20: {0, 5}, 22: {0, 4},
		23: {0, 4}, 32: {0, 4}, 33: {0, 2}, 37: {0, 3}, 44: {0, 1}, 60: {0, 1},
		8: {0, 8}, 9: {0, 8}, 10: {0, 4}, 11: {0, 9}, 12: {0, 4}, 13: {0, 5}, 14: {0, 5}, 15: {0, 5},
		16: {0, 4}, 42: {0, 2}, 47: {0, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("api keys %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("api key %d: %v, want %v", k, got[k], v)
		}
	}
}

func TestKgoMetadata(t *testing.T) {
	_, addr := startServer(t, Config{NodeID: 7, ClusterID: "triad-test"}, nil, nil)
	host, port := hostPort(t, addr)
	cl := newClient(t, addr)
	ctx := testCtx(t)

	req := kmsg.NewPtrMetadataRequest()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 7 || resp.Brokers[0].Host != host || resp.Brokers[0].Port != port {
		t.Fatalf("brokers %+v, want node 7 at %s", resp.Brokers, addr)
	}
	if resp.ClusterID == nil || *resp.ClusterID != "triad-test" || resp.ControllerID != 7 {
		t.Fatalf("cluster %v controller %d", resp.ClusterID, resp.ControllerID)
	}
	if len(resp.Topics) != 0 {
		t.Fatalf("topics %+v, want none", resp.Topics)
	}
	if resp.Version != metadataMax {
		t.Errorf("negotiated v%d, want v%d", resp.Version, metadataMax)
	}

	req = kmsg.NewPtrMetadataRequest()
	for _, n := range []string{"orders", "events", "orders"} {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, rt)
	}
	if resp, err = req.RequestWith(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 2 {
		t.Fatalf("topics %+v, want orders and events once each", resp.Topics)
	}
	for i, n := range []string{"orders", "events"} {
		if tp := resp.Topics[i]; *tp.Topic != n || tp.ErrorCode != CodeUnknownTopicOrPartition {
			t.Errorf("topic %d: %s error %s, want %s UNKNOWN_TOPIC_OR_PARTITION", i, *tp.Topic, CodeName(tp.ErrorCode), n)
		}
	}
}

func TestKadm(t *testing.T) {
	_, addr := startServer(t, Config{NodeID: 3}, nil, nil)
	host, port := hostPort(t, addr)
	adm := kadm.NewClient(newClient(t, addr))
	ctx := testCtx(t)

	vs, err := adm.ApiVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, bv := range vs.Sorted() {
		if bv.Err != nil {
			t.Fatalf("broker %d: %v", bv.NodeID, bv.Err)
		}
		if mn, mx, ok := bv.KeyVersions(3); !ok || mn != 0 || mx != metadataMax {
			t.Errorf("metadata versions %d-%d %v", mn, mx, ok)
		}
	}

	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].NodeID != 3 || md.Brokers[0].Host != host || md.Brokers[0].Port != port {
		t.Fatalf("brokers %+v", md.Brokers)
	}
	if md.Controller != 3 {
		t.Errorf("controller %d", md.Controller)
	}
}

func TestMetadataFromBackend(t *testing.T) {
	b := newFakeBackend()
	b.cluster = queue.ClusterInfo{ID: "c1", ControllerID: 2, Brokers: []queue.Broker{
		{NodeID: 1, Host: "n1.example", Port: 9092, Rack: "r1"},
		{NodeID: 2, Host: "n2.example", Port: 9092},
	}}
	b.infos = map[string]queue.TopicInfo{"t": {Name: "t", Partitions: []queue.PartitionInfo{
		{ID: 0, Leader: 1, LeaderEpoch: 4, Replicas: []int32{1, 2}, ISR: []int32{1, 2}},
		{ID: 1, Leader: -1, LeaderEpoch: -1, Err: queue.ErrLeaderNotAvailable, Replicas: []int32{2, 1}, ISR: []int32{1}, Offline: []int32{2}},
	}}}
	_, addr := startServer(t, Config{}, b, nil)
	// The advertised brokers are unreachable: talk to the seed only.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seed := cl.SeedBrokers()[0]

	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr("t")
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testCtx(t), seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Brokers) != 2 || resp.Brokers[0].Rack == nil || *resp.Brokers[0].Rack != "r1" || resp.Brokers[1].Rack != nil {
		t.Fatalf("brokers %+v", resp.Brokers)
	}
	if resp.ControllerID != 2 || *resp.ClusterID != "c1" {
		t.Fatalf("controller %d cluster %v", resp.ControllerID, resp.ClusterID)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 2 {
		t.Fatalf("topics %+v", resp.Topics)
	}
	p0, p1 := resp.Topics[0].Partitions[0], resp.Topics[0].Partitions[1]
	if p0.ErrorCode != 0 || p0.Leader != 1 || p0.LeaderEpoch != 4 || len(p0.ISR) != 2 {
		t.Errorf("partition 0: %+v", p0)
	}
	if p1.ErrorCode != CodeLeaderNotAvailable || p1.Leader != -1 || len(p1.OfflineReplicas) != 1 {
		t.Errorf("partition 1: %+v", p1)
	}
}

func TestMaxConns(t *testing.T) {
	s, addr := startServer(t, Config{MaxConns: 1}, nil, nil)
	c1 := dial(t, addr)
	roundTrip(t, c1, 1, apiVersionsReq(0)) // c1 is registered once it is answered
	c2 := dial(t, addr)
	expectClosed(t, c2)
	roundTrip(t, c1, 2, apiVersionsReq(0))
	if n := s.Conns(); n != 1 {
		t.Errorf("conns %d", n)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{MaxRequestBytes: 10},
		{MaxRequestBytes: 1 << 20, MaxConns: -1},
		{MaxRequestBytes: 1 << 20, IdleTimeout: -1},
		{MaxRequestBytes: 1 << 20, NodeID: -1},
		{MaxRequestBytes: 1 << 20, AdvertisedPort: 70000},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
		if _, err := NewServer(c, nil); err == nil {
			t.Errorf("NewServer(%+v) succeeded", c)
		}
	}
}

func TestShutdownAnswersWhatWasRead(t *testing.T) {
	gate, started := make(chan struct{}), make(chan struct{})
	s, addr := startServer(t, Config{}, nil, func(s *Server) {
		s.apis[3] = api{0, 9, func(context.Context, *requestContext, kmsg.Request) (reply, error) {
			close(started)
			return reply{wait: func(context.Context) (kmsg.Response, error) {
				<-gate
				r := kmsg.NewPtrMetadataResponse()
				r.Version = 1
				return r, nil
			}}, nil
		}}
	})
	c := dial(t, addr)
	writeReq(t, c, 1, metadataReq(1))
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	close(gate)
	if corr, _ := readResp(t, c); corr != 1 {
		t.Fatalf("correlation %d", corr)
	}
	expectClosed(t, c)
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer that a client's goroutines may log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
