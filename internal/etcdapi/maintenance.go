package etcdapi

import (
	"context"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maintenanceServer is etcd's Maintenance service, as far as it means
// something for Triad (see doc.go for each method's decision).
type maintenanceServer struct {
	pb.UnimplementedMaintenanceServer
	s *Server
}

// notSupported is the answer of a Maintenance method Triad has no
// counterpart for.
func notSupported(name string) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf("etcdserver: %s is not supported by triad", name))
}

func (m *maintenanceServer) Status(ctx context.Context, _ *pb.StatusRequest) (*pb.StatusResponse, error) {
	resp, err := m.s.backend.Status(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	resp.Header = m.s.fillHeader(resp.Header)
	return resp, nil
}

// Alarm: Triad raises no alarms (it has no space quota), so the list is
// empty and disarming is a no-op; raising one by hand is not supported.
func (m *maintenanceServer) Alarm(_ context.Context, req *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	switch req.Action {
	case pb.AlarmRequest_GET, pb.AlarmRequest_DEACTIVATE:
		return &pb.AlarmResponse{Header: m.s.fillHeader(nil)}, nil
	}
	return nil, notSupported("raising an alarm")
}

// Defragment succeeds without doing anything: Triad's store has no file
// to defragment, and scripts that defragment routinely should keep
// working.
func (m *maintenanceServer) Defragment(context.Context, *pb.DefragmentRequest) (*pb.DefragmentResponse, error) {
	return &pb.DefragmentResponse{Header: m.s.fillHeader(nil)}, nil
}

func (m *maintenanceServer) Hash(context.Context, *pb.HashRequest) (*pb.HashResponse, error) {
	return nil, notSupported("Hash")
}

func (m *maintenanceServer) HashKV(context.Context, *pb.HashKVRequest) (*pb.HashKVResponse, error) {
	return nil, notSupported("HashKV")
}

func (m *maintenanceServer) Snapshot(*pb.SnapshotRequest, grpc.ServerStreamingServer[pb.SnapshotResponse]) error {
	return notSupported("Snapshot")
}

func (m *maintenanceServer) MoveLeader(context.Context, *pb.MoveLeaderRequest) (*pb.MoveLeaderResponse, error) {
	return nil, notSupported("MoveLeader")
}

func (m *maintenanceServer) Downgrade(context.Context, *pb.DowngradeRequest) (*pb.DowngradeResponse, error) {
	return nil, notSupported("Downgrade")
}
