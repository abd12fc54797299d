package etcdapi

import (
	"context"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// kvServer is etcd's KV service: each call goes to the Backend, or to the
// leader when the Backend says this node does not lead.
type kvServer struct {
	pb.UnimplementedKVServer
	s *Server
}

func (k *kvServer) Range(ctx context.Context, req *pb.RangeRequest) (*pb.RangeResponse, error) {
	if err := checkSort(req); err != nil {
		return nil, err
	}
	resp, err := call(k.s, ctx, req, k.s.backend.Range,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
			return pb.NewKVClient(cc).Range(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = k.s.fillHeader(resp.Header)
	return resp, nil
}

func (k *kvServer) Put(ctx context.Context, req *pb.PutRequest) (*pb.PutResponse, error) {
	if err := k.s.checkSize(req); err != nil {
		return nil, err
	}
	resp, err := call(k.s, ctx, req, k.s.backend.Put,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
			return pb.NewKVClient(cc).Put(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = k.s.fillHeader(resp.Header)
	return resp, nil
}

func (k *kvServer) DeleteRange(ctx context.Context, req *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if err := k.s.checkSize(req); err != nil {
		return nil, err
	}
	resp, err := call(k.s, ctx, req, k.s.backend.DeleteRange,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
			return pb.NewKVClient(cc).DeleteRange(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = k.s.fillHeader(resp.Header)
	return resp, nil
}

func (k *kvServer) Txn(ctx context.Context, req *pb.TxnRequest) (*pb.TxnResponse, error) {
	// Like etcd, only a txn that goes through the log is held to the size
	// limit; a read-only one is served locally whatever its size.
	if !txnReadOnly(req) {
		if err := k.s.checkSize(req); err != nil {
			return nil, err
		}
	}
	if err := checkTxnSort(req); err != nil {
		return nil, err
	}
	resp, err := call(k.s, ctx, req, k.s.backend.Txn,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
			return pb.NewKVClient(cc).Txn(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = k.s.fillHeader(resp.Header)
	return resp, nil
}

func (k *kvServer) Compact(ctx context.Context, req *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	resp, err := call(k.s, ctx, req, k.s.backend.Compact,
		func(cc *grpc.ClientConn, ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
			return pb.NewKVClient(cc).Compact(ctx, r)
		})
	if err != nil {
		return nil, err
	}
	resp.Header = k.s.fillHeader(resp.Header)
	return resp, nil
}

// checkSize refuses a write larger than MaxRequestBytes, as etcd does
// before proposing it.
func (s *Server) checkSize(req proto.Message) error {
	if proto.Size(req) > s.cfg.MaxRequestBytes {
		return rpctypes.ErrGRPCRequestTooLarge
	}
	return nil
}

// checkSort refuses sort enums this API version does not know, as etcd's
// checkRangeRequest does.
func checkSort(req *pb.RangeRequest) error {
	if _, ok := pb.RangeRequest_SortOrder_name[int32(req.SortOrder)]; !ok {
		return rpctypes.ErrGRPCInvalidSortOption
	}
	if _, ok := pb.RangeRequest_SortTarget_name[int32(req.SortTarget)]; !ok {
		return rpctypes.ErrGRPCInvalidSortOption
	}
	return nil
}

func checkTxnSort(req *pb.TxnRequest) error {
	for _, ops := range [][]*pb.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			var err error
			switch r := op.Request.(type) {
			case *pb.RequestOp_RequestRange:
				err = checkSort(r.RequestRange)
			case *pb.RequestOp_RequestTxn:
				err = checkTxnSort(r.RequestTxn)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// txnReadOnly says whether no branch of req (nested txns included) writes.
func txnReadOnly(req *pb.TxnRequest) bool {
	for _, ops := range [][]*pb.RequestOp{req.Success, req.Failure} {
		for _, op := range ops {
			switch r := op.Request.(type) {
			case *pb.RequestOp_RequestRange:
			case *pb.RequestOp_RequestTxn:
				if !txnReadOnly(r.RequestTxn) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}
