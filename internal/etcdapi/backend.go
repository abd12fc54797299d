package etcdapi

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/coord"
)

// Backend is the coordination service as the front-end sees it;
// *coord.Service implements it. Every method answers with coord's errors
// (etcd's texts), which errors.go maps to gRPC statuses in one table.
//
// Writes (Put, DeleteRange, a Txn that writes, Compact, LeaseGrant,
// LeaseRevoke, LeaseKeepAlive) return a *coord.NotLeaderError on a node
// that does not lead; the front-end then forwards the same RPC to the
// leader's client URL. Reads are served locally: linearizable ones after a
// ReadIndex round, which works on followers too.
type Backend interface {
	Range(ctx context.Context, req *pb.RangeRequest) (*pb.RangeResponse, error)
	Put(ctx context.Context, req *pb.PutRequest) (*pb.PutResponse, error)
	DeleteRange(ctx context.Context, req *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error)
	Txn(ctx context.Context, req *pb.TxnRequest) (*pb.TxnResponse, error)
	Compact(ctx context.Context, req *pb.CompactionRequest) (*pb.CompactionResponse, error)

	LeaseGrant(ctx context.Context, req *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error)
	LeaseRevoke(ctx context.Context, req *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error)
	LeaseKeepAlive(ctx context.Context, req *pb.LeaseKeepAliveRequest) (*pb.LeaseKeepAliveResponse, error)
	LeaseTimeToLive(ctx context.Context, req *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error)
	LeaseLeases(ctx context.Context, req *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error)

	// Watch starts a watcher on the local applied state; events arrive on
	// its channel as entries are applied. The caller cancels it.
	Watch(opts coord.WatchOptions) (*coord.Watcher, error)

	// Header returns a response header for this node now: cluster ID,
	// member ID, current revision and raft term. Responses from the
	// methods above already carry a complete header.
	Header() *pb.ResponseHeader
	// MemberList lists the cluster's members (voters and learners) with
	// the attributes they published; linearizable asks for a ReadIndex
	// round first.
	MemberList(ctx context.Context, linearizable bool) (*pb.MemberListResponse, error)
	// MemberAdd, MemberRemove, MemberUpdate and MemberPromote change the
	// membership as etcd's Cluster service does; like writes they return a
	// *coord.NotLeaderError on a follower.
	MemberAdd(ctx context.Context, req *pb.MemberAddRequest) (*pb.MemberAddResponse, error)
	MemberRemove(ctx context.Context, req *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error)
	MemberUpdate(ctx context.Context, req *pb.MemberUpdateRequest) (*pb.MemberUpdateResponse, error)
	MemberPromote(ctx context.Context, req *pb.MemberPromoteRequest) (*pb.MemberPromoteResponse, error)
	// Publish records a member's attributes (name, peer and client URLs)
	// in the replicated member table; a write like the others. Followers
	// reach the leader's Publish through Server.PublishVia.
	Publish(ctx context.Context, m *pb.Member) (*pb.Member, error)
	// Status is Maintenance.Status for this node.
	Status(ctx context.Context) (*pb.StatusResponse, error)
}
