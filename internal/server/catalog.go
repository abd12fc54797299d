package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/coord"
)

// Keys of the queue's catalog in the coordination store.
const (
	catalogTopics = "/triad/queue/topics/"
	catalogIDs    = "/triad/queue/ids/"
)

// idStart is where each ID counter starts: raft group 1 is the
// coordination store's, and producer id 0 is valid but reads oddly.
var idStart = map[string]uint64{"group": 1000, "producer": 1000}

// coordCatalog keeps the queue's topics and ID counters in the
// coordination store (queue.Catalog), with linearizable reads and
// compare-and-swap writes.
type coordCatalog struct{ svc *coord.Service }

func (c coordCatalog) LoadTopics(ctx context.Context) (map[string][]byte, error) {
	resp, err := c.svc.Range(ctx, &pb.RangeRequest{Key: []byte(catalogTopics), RangeEnd: prefixEnd(catalogTopics)})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[strings.TrimPrefix(string(kv.Key), catalogTopics)] = kv.Value
	}
	return out, nil
}

func (c coordCatalog) CreateTopic(ctx context.Context, name string, rec []byte) (bool, error) {
	key := []byte(catalogTopics + name)
	resp, err := c.svc.Txn(ctx, &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: key, Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: key, Value: rec}}}},
	})
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

func (c coordCatalog) UpdateTopic(ctx context.Context, name string, rec []byte) error {
	_, err := c.svc.Put(ctx, &pb.PutRequest{Key: []byte(catalogTopics + name), Value: rec})
	return err
}

func (c coordCatalog) DeleteTopic(ctx context.Context, name string) (bool, error) {
	resp, err := c.svc.DeleteRange(ctx, &pb.DeleteRangeRequest{Key: []byte(catalogTopics + name)})
	if err != nil {
		return false, err
	}
	return resp.Deleted > 0, nil
}

func (c coordCatalog) AllocateIDs(ctx context.Context, kind string, n uint64) (uint64, error) {
	key := []byte(catalogIDs + kind)
	for {
		resp, err := c.svc.Range(ctx, &pb.RangeRequest{Key: key})
		if err != nil {
			return 0, err
		}
		next, rev := idStart[kind], int64(0)
		if len(resp.Kvs) == 1 {
			next, err = strconv.ParseUint(string(resp.Kvs[0].Value), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("server: id counter %s: %w", kind, err)
			}
			rev = resp.Kvs[0].ModRevision
		}
		txn, err := c.svc.Txn(ctx, &pb.TxnRequest{
			Compare: []*pb.Compare{{Key: key, Target: pb.Compare_MOD, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_ModRevision{ModRevision: rev}}},
			Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: key, Value: []byte(strconv.FormatUint(next+n, 10))}}}},
		})
		if err != nil {
			return 0, err
		}
		if txn.Succeeded {
			return next, nil
		}
	}
}

// prefixEnd is the range end covering every key with prefix p.
func prefixEnd(p string) []byte {
	end := []byte(p)
	end[len(end)-1]++
	return end
}
