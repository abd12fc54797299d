package coord

import (
	"errors"
	"fmt"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"
)

// harness applies requests through the real log encoding, as a raft host
// would, with a fake proposer clock.
type harness struct {
	t   testing.TB
	s   *Store
	idx uint64
	now int64 // Unix ms
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, now: 1_700_000_000_000}
}

func (h *harness) apply(req proto.Message) Result {
	h.t.Helper()
	h.idx++
	data, err := Encode(h.idx*7919, h.now, req)
	if err != nil {
		h.t.Fatal(err)
	}
	res := h.s.Apply(h.idx, data)
	if res.ID != h.idx*7919 && res.Err == nil {
		h.t.Fatalf("result ID %d, want %d", res.ID, h.idx*7919)
	}
	return res
}

// must applies req and fails the test on an error.
func (h *harness) must(req proto.Message) proto.Message {
	h.t.Helper()
	res := h.apply(req)
	if res.Err != nil {
		h.t.Fatalf("%T: %v", req, res.Err)
	}
	return res.Response
}

func (h *harness) put(k, v string) *pb.PutResponse {
	h.t.Helper()
	return h.must(&pb.PutRequest{Key: []byte(k), Value: []byte(v)}).(*pb.PutResponse)
}

func (h *harness) del(k, end string) *pb.DeleteRangeResponse {
	h.t.Helper()
	req := &pb.DeleteRangeRequest{Key: []byte(k)}
	if end != "" {
		req.RangeEnd = []byte(end)
	}
	return h.must(req).(*pb.DeleteRangeResponse)
}

func (h *harness) get(k string) *mvccpb.KeyValue {
	h.t.Helper()
	resp, err := h.s.Range(&pb.RangeRequest{Key: []byte(k)})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	return resp.Kvs[0]
}

func wantErr(t testing.TB, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("error %v, want %v", got, want)
	}
}

func kv(k, v string, create, mod, ver, lease int64) *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: []byte(k), Value: []byte(v), CreateRevision: create, ModRevision: mod, Version: ver, Lease: lease}
}

// kvString renders KeyValues compactly for comparisons in tables.
func kvString(kvs []*mvccpb.KeyValue) string {
	s := ""
	for _, kv := range kvs {
		s += fmt.Sprintf("%s=%s(c%d m%d v%d l%d) ", kv.Key, kv.Value, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)
	}
	return s
}

func keysOf(kvs []*mvccpb.KeyValue) string {
	s := ""
	for _, kv := range kvs {
		s += string(kv.Key) + " "
	}
	return s
}

func protoEq(t testing.TB, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}
