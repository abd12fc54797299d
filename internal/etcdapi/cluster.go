package etcdapi

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
)

// clusterServer is etcd's Cluster service. Membership changes go to the
// leader like writes.
type clusterServer struct {
	pb.UnimplementedClusterServer
	s *Server
}

func (c *clusterServer) MemberList(ctx context.Context, req *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	resp, err := call(c.s, ctx, req,
		func(ctx context.Context, r *pb.MemberListRequest) (*pb.MemberListResponse, error) {
			return c.s.backend.MemberList(ctx, r.Linearizable)
		},
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.MemberListRequest) (*pb.MemberListResponse, error) {
			return pb.NewClusterClient(cc).MemberList(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = c.s.memberHeader(resp.Header)
	return resp, nil
}

func (c *clusterServer) MemberAdd(ctx context.Context, req *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
	resp, err := call(c.s, ctx, req, c.s.backend.MemberAdd,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
			return pb.NewClusterClient(cc).MemberAdd(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = c.s.memberHeader(resp.Header)
	return resp, nil
}

func (c *clusterServer) MemberRemove(ctx context.Context, req *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
	resp, err := call(c.s, ctx, req, c.s.backend.MemberRemove,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
			return pb.NewClusterClient(cc).MemberRemove(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = c.s.memberHeader(resp.Header)
	return resp, nil
}

func (c *clusterServer) MemberUpdate(ctx context.Context, req *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error) {
	resp, err := call(c.s, ctx, req, c.s.backend.MemberUpdate,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error) {
			return pb.NewClusterClient(cc).MemberUpdate(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = c.s.memberHeader(resp.Header)
	return resp, nil
}

func (c *clusterServer) MemberPromote(ctx context.Context, req *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error) {
	resp, err := call(c.s, ctx, req, c.s.backend.MemberPromote,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error) {
			return pb.NewClusterClient(cc).MemberPromote(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = c.s.memberHeader(resp.Header)
	return resp, nil
}
