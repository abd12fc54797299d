package etcdapi

import (
	"context"
	"errors"
	"io"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
)

// leaseServer is etcd's Lease service.
type leaseServer struct {
	pb.UnimplementedLeaseServer
	s *Server
}

func (l *leaseServer) LeaseGrant(ctx context.Context, req *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
	resp, err := call(l.s, ctx, req, l.s.backend.LeaseGrant,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
			return pb.NewLeaseClient(cc).LeaseGrant(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = l.s.fillHeader(resp.Header)
	return resp, nil
}

func (l *leaseServer) LeaseRevoke(ctx context.Context, req *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	resp, err := call(l.s, ctx, req, l.s.backend.LeaseRevoke,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
			return pb.NewLeaseClient(cc).LeaseRevoke(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = l.s.fillHeader(resp.Header)
	return resp, nil
}

// LeaseTimeToLive answers an unknown lease with TTL -1, as etcd does,
// rather than an error.
func (l *leaseServer) LeaseTimeToLive(ctx context.Context, req *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
	resp, err := call(l.s, ctx, req, l.s.backend.LeaseTimeToLive,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
			return pb.NewLeaseClient(cc).LeaseTimeToLive(ctx, r)
		})
	switch {
	case errors.Is(err, rpctypes.ErrGRPCLeaseNotFound):
		resp = &pb.LeaseTimeToLiveResponse{ID: req.ID, TTL: -1}
	case err != nil:
		return nil, err
	}
	resp.Header = l.s.fillHeader(resp.Header)
	return resp, nil
}

func (l *leaseServer) LeaseLeases(ctx context.Context, req *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
	resp, err := call(l.s, ctx, req, l.s.backend.LeaseLeases,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
			return pb.NewLeaseClient(cc).LeaseLeases(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = l.s.fillHeader(resp.Header)
	return resp, nil
}

// LeaseKeepAlive answers each request on the stream with the lease's TTL
// after refreshing it; an unknown lease gets TTL 0, as etcd answers. Any
// other error ends the stream (clientv3 opens a new one). Requests are
// handled one at a time, in order, on the handler's goroutine, which is
// also the only one that sends; a helper goroutine only receives.
func (l *leaseServer) LeaseKeepAlive(stream pb.Lease_LeaseKeepAliveServer) error {
	ctx, cancel := l.s.streamContext(stream.Context())
	defer cancel()
	reqs, recvErr := receive(ctx, stream.Recv)
	for {
		select {
		case <-ctx.Done():
			return l.s.streamEndErr(stream.Context())
		case err := <-recvErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case req := <-reqs:
			resp, err := l.keepAlive(ctx, req)
			if err != nil {
				return err
			}
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
	}
}

func (l *leaseServer) keepAlive(ctx context.Context, req *pb.LeaseKeepAliveRequest) (*pb.LeaseKeepAliveResponse, error) {
	resp, err := call(l.s, ctx, req, l.s.backend.LeaseKeepAlive, forwardKeepAlive)
	switch {
	case errors.Is(err, rpctypes.ErrGRPCLeaseNotFound):
		resp = &pb.LeaseKeepAliveResponse{ID: req.ID, TTL: 0}
	case err != nil:
		return nil, err
	}
	resp.Header = l.s.fillHeader(resp.Header)
	return resp, nil
}

// forwardKeepAlive sends one keep-alive to the leader on a stream of its
// own. A stream per request, rather than one leader stream per client
// stream, keeps no state to tear down when leadership moves; keep-alives
// come every TTL/3 seconds per lease, so the extra stream set-up (no new
// connection: the leader's connection is shared) costs little.
func forwardKeepAlive(cc *grpc.ClientConn, ctx context.Context, req *pb.LeaseKeepAliveRequest) (*pb.LeaseKeepAliveResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := pb.NewLeaseClient(cc).LeaseKeepAlive(ctx)
	if err != nil {
		return nil, err
	}
	// A Send that fails with io.EOF means the stream ended; Recv says why.
	if err := st.Send(req); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := st.CloseSend(); err != nil {
		return nil, err
	}
	return st.Recv()
}
