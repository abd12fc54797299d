package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/coord"
)

// Keys of the queue's catalog in the coordination store.
const (
	catalogRoot   = "/triad/queue/"
	catalogTopics = catalogRoot + "topics/"
	catalogIDs    = catalogRoot + "ids/"
)

// idStart is where each ID counter starts: raft group 1 is the
// coordination store's, and producer id 0 is valid but reads oddly.
var idStart = map[string]uint64{"group": 1000, "producer": 1000}

// coordCatalog keeps the queue's topics, ID counters, brokers and
// partition leaders in the coordination store (queue.Catalog), with
// linearizable reads and compare-and-swap writes. Requests go through the
// etcd front-end's KV service in-process, so a follower's are forwarded
// to the leader as a client's would be; watches read the local store.
type coordCatalog struct {
	kv  pb.KVServer
	svc *coord.Service
}

func (c coordCatalog) LoadTopics(ctx context.Context) (map[string][]byte, error) {
	return c.Load(ctx, "topics") // catalogTopics
}

func (c coordCatalog) CreateTopic(ctx context.Context, name string, rec []byte) (bool, error) {
	key := []byte(catalogTopics + name)
	resp, err := c.kv.Txn(ctx, &pb.TxnRequest{
		Compare: []*pb.Compare{{Key: key, Target: pb.Compare_CREATE, Result: pb.Compare_EQUAL, TargetUnion: &pb.Compare_CreateRevision{CreateRevision: 0}}},
		Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: key, Value: rec}}}},
	})
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

func (c coordCatalog) UpdateTopic(ctx context.Context, name string, rec []byte) error {
	_, err := c.kv.Put(ctx, &pb.PutRequest{Key: []byte(catalogTopics + name), Value: rec})
	return err
}

func (c coordCatalog) DeleteTopic(ctx context.Context, name string) (bool, error) {
	resp, err := c.kv.DeleteRange(ctx, &pb.DeleteRangeRequest{Key: []byte(catalogTopics + name)})
	if err != nil {
		return false, err
	}
	return resp.Deleted > 0, nil
}

func (c coordCatalog) AllocateIDs(ctx context.Context, kind string, n uint64) (uint64, error) {
	key := []byte(catalogIDs + kind)
	for {
		resp, err := c.kv.Range(ctx, &pb.RangeRequest{Key: key})
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
		txn, err := c.kv.Txn(ctx, &pb.TxnRequest{
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

func (c coordCatalog) Put(ctx context.Context, kind, name string, rec []byte) error {
	_, err := c.kv.Put(ctx, &pb.PutRequest{Key: []byte(catalogRoot + kind + "/" + name), Value: rec})
	return err
}

func (c coordCatalog) Load(ctx context.Context, kind string) (map[string][]byte, error) {
	prefix := catalogRoot + kind + "/"
	resp, err := c.kv.Range(ctx, &pb.RangeRequest{Key: []byte(prefix), RangeEnd: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		out[strings.TrimPrefix(string(kv.Key), prefix)] = kv.Value
	}
	return out, nil
}

// Watch watches every key under the catalog's root in the local store,
// calling changed after each batch of events; a watch the store closes
// (it fell too far behind) is replaced, with one call for what it may
// have missed.
func (c coordCatalog) Watch(ctx context.Context, changed func()) error {
	for {
		w, err := c.svc.Watch(coord.WatchOptions{Key: []byte(catalogRoot), RangeEnd: prefixEnd(catalogRoot)})
		if err != nil {
			return err
		}
	events:
		for {
			select {
			case <-ctx.Done():
				w.Cancel()
				return ctx.Err()
			case _, ok := <-w.C:
				if !ok {
					break events
				}
				changed()
			}
		}
		changed()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// prefixEnd is the range end covering every key with prefix p.
func prefixEnd(p string) []byte {
	end := []byte(p)
	end[len(end)-1]++
	return end
}
