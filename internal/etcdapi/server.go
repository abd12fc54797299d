package etcdapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

// Config tunes the etcd front-end. The zero value gives etcd's defaults.
type Config struct {
	// MaxRequestBytes bounds a write request's encoded size (etcd's
	// --max-request-bytes); larger writes fail with "request is too large"
	// before reaching the Backend. gRPC accepts messages up to this plus
	// 512 KiB, as etcd does, so that the error is etcd's and not a
	// transport error. Default 1.5 MiB. Raising it lets clients put larger
	// values at the cost of larger raft entries.
	MaxRequestBytes int
	// Logger receives the front-end's logs. Default: slog.Default().
	Logger *slog.Logger
}

// Defaults, as etcd 3.5's.
const (
	DefaultMaxRequestBytes = 1572864 // 1.5 MiB
	// grpcOverheadBytes is what etcd lets gRPC receive beyond
	// MaxRequestBytes, for the envelope around a request.
	grpcOverheadBytes = 512 * 1024
	// keepaliveMinTime is the shortest client ping interval tolerated
	// (etcd's --grpc-keepalive-min-time).
	keepaliveMinTime = 5 * time.Second
	// keepaliveTime and keepaliveTimeout are the server's own pings to idle
	// connections (etcd's --grpc-keepalive-interval and -timeout).
	keepaliveTime    = 2 * time.Hour
	keepaliveTimeout = 20 * time.Second
)

// Validate reports a setting out of range.
func (c Config) Validate() error {
	if c.MaxRequestBytes < 0 || c.MaxRequestBytes > math.MaxInt32-grpcOverheadBytes {
		return fmt.Errorf("etcdapi: MaxRequestBytes %d out of range", c.MaxRequestBytes)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server serves etcd's v3 gRPC API over a Backend.
type Server struct {
	cfg     Config
	backend Backend
	log     *slog.Logger
	grpc    *grpc.Server
	health  *health.Server
	fwd     *forwarder

	// stopping is closed when Stop or GracefulStop begins, so that
	// long-lived streams (watch, lease keep-alive), which a graceful stop
	// would otherwise wait for forever, end.
	stopping chan struct{}
	stopOnce sync.Once
}

// New builds a server over b. It starts nothing: call Serve.
func New(cfg Config, b Backend) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("etcdapi: nil Backend")
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		backend:  b,
		log:      cfg.Logger,
		health:   health.NewServer(),
		stopping: make(chan struct{}),
	}
	s.fwd = newForwarder(s.log)
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(cfg.MaxRequestBytes+grpcOverheadBytes),
		grpc.MaxSendMsgSize(math.MaxInt32),
		grpc.MaxConcurrentStreams(math.MaxUint32),
		// Reuse handler goroutines (with their grown stacks) instead of
		// one new goroutine per request: measurably less CPU per RPC.
		grpc.NumStreamWorkers(uint32(4*runtime.GOMAXPROCS(0))),
		// One write buffer per connection, shared while flushing, rather
		// than one held by every idle connection.
		grpc.SharedWriteBuffer(true),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime: keepaliveMinTime,
			// Tolerate clients that ping without streams (clientv3's
			// PermitWithoutStream option) rather than closing them.
			PermitWithoutStream: true,
		}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    keepaliveTime,
			Timeout: keepaliveTimeout,
		}),
	)
	pb.RegisterKVServer(s.grpc, &kvServer{s: s})
	pb.RegisterWatchServer(s.grpc, &watchServer{s: s})
	pb.RegisterLeaseServer(s.grpc, &leaseServer{s: s})
	pb.RegisterClusterServer(s.grpc, &clusterServer{s: s})
	pb.RegisterMaintenanceServer(s.grpc, &maintenanceServer{s: s})
	pb.RegisterAuthServer(s.grpc, &authServer{s: s})
	s.grpc.RegisterService(&internalDesc, s)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	return s, nil
}

// Serve accepts connections on ln until Stop or GracefulStop; it then
// returns nil. Any other return is an accept error.
func (s *Server) Serve(ln net.Listener) error {
	err := s.grpc.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// GracefulStop ends watch and keep-alive streams, waits for unary calls in
// flight, and closes the connections to leaders.
func (s *Server) GracefulStop() {
	s.beginStop()
	s.grpc.GracefulStop()
	s.fwd.close()
}

// Stop closes every connection at once.
func (s *Server) Stop() {
	s.beginStop()
	s.grpc.Stop()
	s.fwd.close()
}

func (s *Server) beginStop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.health.Shutdown()
	})
}

// fillHeader completes h the way etcd's header filler does: cluster ID,
// member ID and raft term from the Backend; the revision only if the
// Backend gave none. It returns h, or a new header if h was nil.
func (s *Server) fillHeader(h *pb.ResponseHeader) *pb.ResponseHeader {
	if h != nil && h.ClusterId != 0 && h.MemberId != 0 && h.RaftTerm != 0 && h.Revision != 0 {
		return h
	}
	now := s.backend.Header()
	if now == nil {
		now = &pb.ResponseHeader{}
	}
	if h == nil {
		h = &pb.ResponseHeader{}
	}
	if h.ClusterId == 0 {
		h.ClusterId = now.ClusterId
	}
	if h.MemberId == 0 {
		h.MemberId = now.MemberId
	}
	if h.RaftTerm == 0 {
		h.RaftTerm = now.RaftTerm
	}
	if h.Revision == 0 {
		h.Revision = now.Revision
	}
	return h
}

// headerAt is a full header at revision rev (watch responses).
func (s *Server) headerAt(rev int64) *pb.ResponseHeader {
	h := &pb.ResponseHeader{Revision: rev}
	if now := s.backend.Header(); now != nil {
		h.ClusterId, h.MemberId, h.RaftTerm = now.ClusterId, now.MemberId, now.RaftTerm
	}
	return h
}

// receive reads a stream's requests on a goroutine of its own and hands
// them over on reqs until ctx ends; the first receive error arrives on
// recvErr. The caller's goroutine handles requests and is the one that
// sends, so a slow handler never blocks the read of a cancel.
func receive[Req any](ctx context.Context, recv func() (Req, error)) (reqs <-chan Req, recvErr <-chan error) {
	rc := make(chan Req)
	ec := make(chan error, 1)
	go func() {
		for {
			req, err := recv()
			if err != nil {
				ec <- err
				return
			}
			select {
			case rc <- req:
			case <-ctx.Done():
				return
			}
		}
	}()
	return rc, ec
}

// streamContext is parent, cancelled also when the server begins to stop,
// for the long-lived streams.
func (s *Server) streamContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// streamEndErr is the status a long-lived stream ends with when its
// context is done: "server stopped" (clientv3 retries elsewhere) when the
// server is stopping, else the client's own cancellation.
func (s *Server) streamEndErr(parent context.Context) error {
	select {
	case <-s.stopping:
		return rpctypes.ErrGRPCStopped
	default:
	}
	return toStatus(parent.Err())
}

// memberHeader is the header of Cluster responses: etcd's carry no
// revision (membership is not part of the key space).
func (s *Server) memberHeader(h *pb.ResponseHeader) *pb.ResponseHeader {
	h = s.fillHeader(h)
	h.Revision = 0
	return h
}

// KV returns the KV service for in-process callers (the queue's catalog):
// requests behave as a client's, forwarded to the leader when this node
// does not lead.
func (s *Server) KV() pb.KVServer { return &kvServer{s: s} }
