package coord

import (
	"bytes"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

func TestEncodeDecode(t *testing.T) {
	reqs := []proto.Message{
		&pb.PutRequest{Key: []byte("k"), Value: []byte("v"), Lease: 3, PrevKv: true},
		&pb.DeleteRangeRequest{Key: []byte("a"), RangeEnd: []byte{0}},
		&pb.TxnRequest{Compare: []*pb.Compare{cmpValue("a", pb.Compare_EQUAL, "1")}, Success: []*pb.RequestOp{opPut("a", "2")}},
		&pb.CompactionRequest{Revision: 5, Physical: true},
		&pb.LeaseGrantRequest{ID: 1, TTL: 5},
		&pb.LeaseRevokeRequest{ID: 1},
		&pb.LeaseKeepAliveRequest{ID: 1},
	}
	for i, req := range reqs {
		data, err := Encode(uint64(i)+100, -5, req)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != Kind(i+1) || e.ID != uint64(i)+100 || e.Time != -5 || !proto.Equal(e.Request, req) {
			t.Fatalf("round trip of %T: %+v", req, e)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, req := range []proto.Message{
		&pb.PutRequest{Key: []byte("k"), Value: []byte("v")},
		&pb.TxnRequest{Success: []*pb.RequestOp{opPut("a", "2"), opTxn(&pb.TxnRequest{Failure: []*pb.RequestOp{opDel("a", "b")}})}},
		&pb.LeaseGrantRequest{TTL: 5},
	} {
		data, _ := Encode(1, 2, req)
		f.Add(data)
	}
	f.Add([]byte{1, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(e.ID, e.Time, e.Request)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := Decode(again)
		if err != nil || e2.Kind != e.Kind || !proto.Equal(e2.Request, e.Request) {
			t.Fatalf("re-encode: %v", err)
		}
		// Applying whatever decodes must not panic either.
		s, _ := New(Config{})
		s.Apply(0, data)
		s.Apply(0, data)
		var buf bytes.Buffer
		if err := s.WriteSnapshot(&buf); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzRestore(f *testing.F) {
	a, _ := New(Config{})
	applyAll(f, a, 1, workload(f, 3, 60))
	var buf bytes.Buffer
	a.WriteSnapshot(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _ := New(Config{})
		if s.Restore(bytes.NewReader(data)) == nil {
			// Whatever restores must serve reads and writes.
			s.Range(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}})
			e, _ := Encode(1, 1, &pb.PutRequest{Key: []byte("k")})
			s.Apply(0, e)
		}
	})
}
