package coord

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

func opPut(k, v string) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte(k), Value: []byte(v)}}}
}

func opGet(k, end string) *pb.RequestOp {
	r := &pb.RangeRequest{Key: []byte(k)}
	if end != "" {
		r.RangeEnd = []byte(end)
	}
	return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
}

func opDel(k, end string) *pb.RequestOp {
	r := &pb.DeleteRangeRequest{Key: []byte(k)}
	if end != "" {
		r.RangeEnd = []byte(end)
	}
	return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: r}}
}

func opTxn(t *pb.TxnRequest) *pb.RequestOp {
	return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: t}}
}

func cmpValue(k string, res pb.Compare_CompareResult, v string) *pb.Compare {
	return &pb.Compare{Key: []byte(k), Result: res, Target: pb.Compare_VALUE, TargetUnion: &pb.Compare_Value{Value: []byte(v)}}
}

func cmpInt(k string, target pb.Compare_CompareTarget, res pb.Compare_CompareResult, n int64) *pb.Compare {
	c := &pb.Compare{Key: []byte(k), Result: res, Target: target}
	switch target {
	case pb.Compare_VERSION:
		c.TargetUnion = &pb.Compare_Version{Version: n}
	case pb.Compare_CREATE:
		c.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: n}
	case pb.Compare_MOD:
		c.TargetUnion = &pb.Compare_ModRevision{ModRevision: n}
	case pb.Compare_LEASE:
		c.TargetUnion = &pb.Compare_Lease{Lease: n}
	}
	return c
}

func TestTxnCompare(t *testing.T) {
	h := rangeFixture(t) // a=1(c2 m2 v1) b=22(c3 m5 v2) c=33(c9 m9 v1) d=0 e=9
	h.must(&pb.LeaseGrantRequest{ID: 5, TTL: 100})
	h.must(&pb.PutRequest{Key: []byte("l"), Value: []byte("x"), Lease: 5}) // rev 10
	withEnd := func(c *pb.Compare, end string) *pb.Compare { c.RangeEnd = []byte(end); return c }
	tests := []struct {
		name string
		cmp  *pb.Compare
		want bool
	}{
		{"value equal", cmpValue("a", pb.Compare_EQUAL, "1"), true},
		{"value not equal", cmpValue("a", pb.Compare_NOT_EQUAL, "1"), false},
		{"value greater", cmpValue("b", pb.Compare_GREATER, "2"), true},
		{"value less", cmpValue("b", pb.Compare_LESS, "3"), true},
		{"value on missing key fails", cmpValue("zz", pb.Compare_NOT_EQUAL, "x"), false},
		{"version equal", cmpInt("b", pb.Compare_VERSION, pb.Compare_EQUAL, 2), true},
		{"version of missing key is 0", cmpInt("zz", pb.Compare_VERSION, pb.Compare_EQUAL, 0), true},
		{"create equal", cmpInt("b", pb.Compare_CREATE, pb.Compare_EQUAL, 3), true},
		{"create of missing key is 0", cmpInt("zz", pb.Compare_CREATE, pb.Compare_EQUAL, 0), true},
		{"mod greater", cmpInt("b", pb.Compare_MOD, pb.Compare_GREATER, 4), true},
		{"mod less", cmpInt("b", pb.Compare_MOD, pb.Compare_LESS, 5), false},
		{"lease equal", cmpInt("l", pb.Compare_LEASE, pb.Compare_EQUAL, 5), true},
		{"lease none", cmpInt("a", pb.Compare_LEASE, pb.Compare_EQUAL, 0), true},
		{"range all match", withEnd(cmpInt("a", pb.Compare_VERSION, pb.Compare_GREATER, 0), "f"), true},
		{"range one fails", withEnd(cmpInt("a", pb.Compare_VERSION, pb.Compare_EQUAL, 1), "f"), false},
		{"range from key", withEnd(cmpInt("c", pb.Compare_CREATE, pb.Compare_GREATER, 5), "\x00"), true},
		{"range empty value fails", withEnd(cmpValue("x", pb.Compare_EQUAL, ""), "y"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.s.Rev()
			resp, err := h.s.Txn(&pb.TxnRequest{Compare: []*pb.Compare{tt.cmp}, Success: []*pb.RequestOp{opGet("a", "")}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Succeeded != tt.want {
				t.Fatalf("succeeded %v, want %v", resp.Succeeded, tt.want)
			}
			if len(resp.Responses) != map[bool]int{true: 1, false: 0}[tt.want] {
				t.Fatalf("responses %v", resp.Responses)
			}
			// The same txn through the log: read-only, so no new revision.
			res := h.apply(&pb.TxnRequest{Compare: []*pb.Compare{tt.cmp}, Success: []*pb.RequestOp{opGet("a", "")}})
			if res.Err != nil || res.Response.(*pb.TxnResponse).Succeeded != tt.want || h.s.Rev() != before {
				t.Fatalf("applied: %v %v rev %d", res.Response, res.Err, h.s.Rev())
			}
		})
	}
}

func TestTxnWrites(t *testing.T) {
	h := newHarness(t)
	h.put("a", "1") // rev 2
	// One revision for the whole txn; reads see the txn's earlier writes.
	resp := h.must(&pb.TxnRequest{
		Compare: []*pb.Compare{cmpValue("a", pb.Compare_EQUAL, "1")},
		Success: []*pb.RequestOp{opPut("b", "2"), opPut("c", "3"), opGet("a", "d"), opDel("a", ""), opGet("a", "d")},
	}).(*pb.TxnResponse)
	if !resp.Succeeded || resp.Header.Revision != 3 || h.s.Rev() != 3 {
		t.Fatalf("txn: %v rev %d", resp, h.s.Rev())
	}
	rs := resp.Responses
	if rs[0].GetResponsePut().Header.Revision != 3 || rs[1].GetResponsePut().Header.Revision != 3 {
		t.Fatal("puts in a txn share its revision")
	}
	if got := keysOf(rs[2].GetResponseRange().Kvs); got != "a b c " {
		t.Fatalf("read in txn saw %q", got)
	}
	if rs[2].GetResponseRange().Header.Revision != 3 {
		t.Fatalf("range in txn header %d", rs[2].GetResponseRange().Header.Revision)
	}
	if rs[3].GetResponseDeleteRange().Deleted != 1 {
		t.Fatal("delete in txn")
	}
	if got := keysOf(rs[4].GetResponseRange().Kvs); got != "b c " {
		t.Fatalf("read after delete in txn saw %q", got)
	}
	protoEq(t, h.get("c"), kv("c", "3", 3, 3, 1, 0))

	// Failure branch, and a write txn whose branch writes nothing.
	resp = h.must(&pb.TxnRequest{
		Compare: []*pb.Compare{cmpValue("a", pb.Compare_EQUAL, "1")},
		Success: []*pb.RequestOp{opPut("x", "1")},
		Failure: []*pb.RequestOp{opDel("nothing", "")},
	}).(*pb.TxnResponse)
	if resp.Succeeded || resp.Header.Revision != 3 || h.s.Rev() != 3 || h.get("x") != nil {
		t.Fatalf("failed txn: %v rev %d", resp, h.s.Rev())
	}

	// Nested txns: compares all see the state before the txn.
	resp = h.must(&pb.TxnRequest{
		Success: []*pb.RequestOp{
			opPut("n1", "1"),
			opTxn(&pb.TxnRequest{
				Compare: []*pb.Compare{cmpInt("n1", pb.Compare_VERSION, pb.Compare_EQUAL, 0)},
				Success: []*pb.RequestOp{opPut("n2", "then"), opGet("n1", "")},
				Failure: []*pb.RequestOp{opPut("n2", "else")},
			}),
			opTxn(&pb.TxnRequest{
				Compare: []*pb.Compare{cmpValue("b", pb.Compare_EQUAL, "nope")},
				Failure: []*pb.RequestOp{opPut("n3", "else")},
			}),
		},
	}).(*pb.TxnResponse)
	if h.s.Rev() != 4 || !resp.Succeeded {
		t.Fatalf("nested: rev %d %v", h.s.Rev(), resp)
	}
	inner := resp.Responses[1].GetResponseTxn()
	if !inner.Succeeded || string(h.get("n2").Value) != "then" || string(h.get("n3").Value) != "else" {
		t.Fatalf("nested branches: %v n2=%s", inner, h.get("n2").Value)
	}
	if got := keysOf(inner.Responses[1].GetResponseRange().Kvs); got != "n1 " {
		t.Fatalf("nested read saw %q", got)
	}
	if resp.Responses[2].GetResponseTxn().Succeeded {
		t.Fatal("second nested txn should fail its compare")
	}
}

func TestTxnErrors(t *testing.T) {
	h := newHarness(t)
	h.put("a", "1")
	h.put("a", "2")
	h.must(&pb.CompactionRequest{Revision: 3})
	many := make([]*pb.RequestOp, 129)
	for i := range many {
		many[i] = opGet("a", "")
	}
	tests := []struct {
		name string
		req  *pb.TxnRequest
		err  error
	}{
		{"duplicate put", &pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "1"), opPut("k", "2")}}, ErrDuplicateKey},
		{"put and delete", &pb.TxnRequest{Success: []*pb.RequestOp{opDel("a", "z"), opPut("k", "2")}}, ErrDuplicateKey},
		{"put and delete single", &pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "2"), opDel("k", "")}}, ErrDuplicateKey},
		{"nested duplicate", &pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "1"), opTxn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "2")}})}}, ErrDuplicateKey},
		{"nested delete covers put", &pb.TxnRequest{Success: []*pb.RequestOp{opDel("k", ""), opTxn(&pb.TxnRequest{Failure: []*pb.RequestOp{opPut("k", "2")}})}}, ErrDuplicateKey},
		{"two nested txns put one key", &pb.TxnRequest{Success: []*pb.RequestOp{opTxn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "1")}}), opTxn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "2")}})}}, ErrDuplicateKey},
		{"too many ops", &pb.TxnRequest{Success: many}, ErrTooManyOps},
		{"empty compare key", &pb.TxnRequest{Compare: []*pb.Compare{{}}}, ErrEmptyKey},
		{"empty put key", &pb.TxnRequest{Success: []*pb.RequestOp{opPut("", "1")}}, ErrEmptyKey},
		{"value with ignore_value", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("a"), Value: []byte("x"), IgnoreValue: true}}}}}, ErrValueProvided},
		{"ignore_value missing key", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("zz"), IgnoreValue: true}}}}}, ErrKeyNotFound},
		{"unknown lease", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("a"), Lease: 42}}}}}, ErrLeaseNotFound},
		{"compacted range", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a"), Revision: 2}}}, opPut("b", "1")}}, ErrCompacted},
		{"future range", &pb.TxnRequest{Success: []*pb.RequestOp{{Request: &pb.RequestOp_RequestRange{RequestRange: &pb.RangeRequest{Key: []byte("a"), Revision: 4}}}}}, ErrFutureRev},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, h.apply(tt.req).Err, tt.err)
			if h.s.Rev() != 3 || h.get("k") != nil || h.get("b") != nil {
				t.Fatal("a rejected txn changed state")
			}
		})
	}
	// Accepted: the branches of one nested txn may put the same key; a
	// check only looks at the branch taken; a "\x00" range_end delete does
	// not conflict (etcd's interval quirk).
	ok := []*pb.TxnRequest{
		{Success: []*pb.RequestOp{opTxn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "1")}, Failure: []*pb.RequestOp{opPut("k", "2")}})}},
		{Compare: []*pb.Compare{cmpValue("a", pb.Compare_EQUAL, "2")}, Failure: []*pb.RequestOp{{Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("a"), Lease: 42}}}}},
		{Success: []*pb.RequestOp{opDel("a", "\x00"), opPut("k", "3")}},
	}
	// etcd panics on this one; the store must not.
	ok = append(ok, &pb.TxnRequest{Success: []*pb.RequestOp{opDel("a", "\x00"), {Request: &pb.RequestOp_RequestPut{RequestPut: &pb.PutRequest{Key: []byte("k"), IgnoreValue: true}}}}})
	for i, req := range ok {
		if res := h.apply(req); res.Err != nil {
			t.Fatalf("txn %d: %v", i, res.Err)
		}
	}
	if string(h.get("k").Value) != "" || h.get("k").Version != 1 || h.get("a") != nil {
		t.Fatalf("k=%v a=%v", h.get("k"), h.get("a"))
	}
	if _, err := h.s.Txn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut("x", "1")}}); err != ErrNotReadOnly {
		t.Fatalf("Txn with a write: %v", err)
	}
}
