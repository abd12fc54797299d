package etcdapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"triad/internal/coord"
)

// forwardedKey marks a request one node forwarded to the leader it knew
// of, with the number of hops so far (see maxHops).
const forwardedKey = "triad-forwarded"

// forwarder keeps one client connection per leader client URL, dialed on
// first use and closed on Stop.
type forwarder struct {
	log *slog.Logger

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

func newForwarder(log *slog.Logger) *forwarder {
	return &forwarder{log: log, conns: map[string]*grpc.ClientConn{}}
}

// conn returns the connection to the leader named by nl, or ErrGRPCNoLeader
// when nl names no reachable URL.
func (f *forwarder) conn(nl *coord.NotLeaderError) (*grpc.ClientConn, error) {
	if nl.Leader == nil || len(nl.Leader.ClientURLs) == 0 {
		return nil, rpctypes.ErrGRPCNoLeader
	}
	// The first URL the leader published is the one forwarded to; the
	// others are for clients on other networks.
	raw := nl.Leader.ClientURLs[0]
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errServerStopped
	}
	if cc := f.conns[raw]; cc != nil {
		return cc, nil
	}
	target, err := dialTarget(raw)
	if err != nil {
		f.log.Warn("etcdapi: cannot forward to leader", "leader", fmt.Sprintf("%x", nl.LeaderID), "url", raw, "err", err)
		return nil, rpctypes.ErrGRPCNoLeader
	}
	cc, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<31-1), grpc.MaxCallSendMsgSize(1<<31-1)))
	if err != nil {
		return nil, fmt.Errorf("etcdapi: dial leader %s: %w", raw, err)
	}
	f.conns[raw] = cc
	return cc, nil
}

// dialTarget turns a client URL ("http://127.0.0.1:2379") into a gRPC
// target. Only plain-text URLs are supported until the etcd API has TLS.
func dialTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http", "":
		if u.Host == "" {
			return "", errors.New("no host in client URL")
		}
		return u.Host, nil
	}
	return "", fmt.Errorf("client URL scheme %q is not supported for forwarding", u.Scheme)
}

func (f *forwarder) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for raw, cc := range f.conns {
		if err := cc.Close(); err != nil {
			f.log.Debug("etcdapi: closing leader connection", "url", raw, "err", err)
		}
		delete(f.conns, raw)
	}
}

// maxHops bounds how many times one request is forwarded: a node that
// got it forwarded and no longer leads passes it on once more (leadership
// just moved), but no further.
const maxHops = 2

// hops is how many times the request in ctx has been forwarded.
func hops(ctx context.Context) int {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return 0
	}
	v := md.Get(forwardedKey)
	if len(v) == 0 {
		return 0
	}
	n, err := strconv.Atoi(v[len(v)-1])
	if err != nil || n < 1 {
		return 1 // an older or foreign marker: forwarded once
	}
	return n
}

// forwardContext is ctx (with its deadline and cancellation) marked as
// forwarded one more time, for the outgoing call.
func forwardContext(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, forwardedKey, strconv.Itoa(hops(ctx)+1))
}

// notLeader returns the *coord.NotLeaderError in err, if any.
func notLeader(err error) *coord.NotLeaderError {
	var nl *coord.NotLeaderError
	if errors.As(err, &nl) {
		return nl
	}
	return nil
}

// call runs a unary request on the Backend and, when this node does not
// lead, the same RPC on the leader. Errors come back as gRPC statuses.
func call[Req, Resp any](s *Server, ctx context.Context, req Req,
	local func(context.Context, Req) (Resp, error),
	remote func(*grpc.ClientConn, context.Context, Req) (Resp, error),
) (Resp, error) {
	resp, err := local(ctx, req)
	nl := notLeader(err)
	if nl == nil {
		return resp, toStatus(err)
	}
	var zero Resp
	if hops(ctx) >= maxHops {
		return zero, rpctypes.ErrGRPCNoLeader
	}
	cc, err := s.fwd.conn(nl)
	if err != nil {
		return zero, toStatus(err)
	}
	resp, err = remote(cc, forwardContext(ctx), req)
	if err != nil {
		return zero, toStatus(err)
	}
	return resp, nil
}
