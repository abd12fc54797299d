package etcdapi

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"triad/internal/coord"
)

// Publishing member attributes. A member records its name and URLs in the
// replicated member table on start, as etcd members do; since followers
// cannot propose, a follower sends them to the leader, whose front-end
// hands them to the Backend's Publish. etcd's API has no RPC that carries
// a member's client URLs, so this is Triad's own one-method gRPC service,
// triad.etcdapi.Internal/Publish, on the same port, with pb.Member as
// request and response (no generated code: the descriptor is below).

const publishMethod = "/triad.etcdapi.Internal/Publish"

// internalServer is what internalDesc is registered with.
type internalServer interface {
	publish(ctx context.Context, m *pb.Member) (*pb.Member, error)
}

var internalDesc = grpc.ServiceDesc{
	ServiceName: "triad.etcdapi.Internal",
	HandlerType: (*internalServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Publish",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(pb.Member)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				return srv.(internalServer).publish(ctx, req.(*pb.Member))
			}
			if icpt == nil {
				return h(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: publishMethod}, h)
		},
	}},
	Metadata: "triad/internal/etcdapi/publish.go",
}

// publish is the leader's side: record m through the Backend. It is never
// forwarded; a node that does not lead answers "no leader" and the sender
// tries again later.
func (s *Server) publish(ctx context.Context, m *pb.Member) (*pb.Member, error) {
	out, err := s.backend.Publish(ctx, m)
	if err != nil {
		return nil, toStatus(err)
	}
	return out, nil
}

// PublishVia sends self's attributes to leader's front-end, over the same
// connection requests are forwarded on. It is coord.ServiceConfig's
// PublishVia.
func (s *Server) PublishVia(ctx context.Context, leader, self *pb.Member) error {
	cc, err := s.fwd.conn(&coord.NotLeaderError{LeaderID: leader.GetID(), Leader: leader})
	if err != nil {
		return err
	}
	return cc.Invoke(forwardContext(ctx), publishMethod, self, new(pb.Member))
}
