package coord

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// rangeFixture builds, one revision each:
// rev2 a=1, rev3 b=2, rev4 c=3, rev5 b=22, rev6 d=0, rev7 del c, rev8 e=9, rev9 c=33
// Current: a=1(c2 m2 v1) b=22(c3 m5 v2) c=33(c9 m9 v1) d=0(c6 m6 v1) e=9(c8 m8 v1)
func rangeFixture(t *testing.T) *harness {
	h := newHarness(t)
	h.put("a", "1")
	h.put("b", "2")
	h.put("c", "3")
	h.put("b", "22")
	h.put("d", "0")
	h.del("c", "")
	h.put("e", "9")
	h.put("c", "33")
	return h
}

func TestRange(t *testing.T) {
	h := rangeFixture(t)
	if h.s.Rev() != 9 {
		t.Fatalf("rev %d, want 9", h.s.Rev())
	}
	tests := []struct {
		name  string
		req   *pb.RangeRequest
		keys  string
		count int64
		more  bool
		err   error
	}{
		{"single", &pb.RangeRequest{Key: []byte("b")}, "b ", 1, false, nil},
		{"single missing", &pb.RangeRequest{Key: []byte("zz")}, "", 0, false, nil},
		{"range", &pb.RangeRequest{Key: []byte("b"), RangeEnd: []byte("d")}, "b c ", 2, false, nil},
		{"range end before key", &pb.RangeRequest{Key: []byte("d"), RangeEnd: []byte("b")}, "", 0, false, nil},
		{"from key", &pb.RangeRequest{Key: []byte("c"), RangeEnd: []byte{0}}, "c d e ", 3, false, nil},
		{"all", &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}}, "a b c d e ", 5, false, nil},
		{"limit", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, Limit: 2}, "a b ", 5, true, nil},
		{"limit exact", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, Limit: 5}, "a b c d e ", 5, false, nil},
		{"count only", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, CountOnly: true, Limit: 1}, "", 5, false, nil},
		{"historic rev 4", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, Revision: 4}, "a b c ", 3, false, nil},
		{"historic rev 7 after delete", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, Revision: 7}, "a b d ", 3, false, nil},
		{"historic rev 1", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, Revision: 1}, "", 0, false, nil},
		{"future rev", &pb.RangeRequest{Key: []byte("a"), Revision: 10}, "", 0, false, ErrFutureRev},
		{"empty key", &pb.RangeRequest{}, "", 0, false, ErrEmptyKey},
		{"min mod", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, MinModRevision: 6}, "c d e ", 5, false, nil},
		{"max mod", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, MaxModRevision: 5}, "a b ", 5, false, nil},
		{"min create", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, MinCreateRevision: 6}, "c d e ", 5, false, nil},
		{"max create", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, MaxCreateRevision: 3}, "a b ", 5, false, nil},
		{"filter then limit", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, MinModRevision: 6, Limit: 2}, "c d ", 5, true, nil},
		{"sort key desc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortOrder: pb.RangeRequest_DESCEND}, "e d c b a ", 5, false, nil},
		{"sort key asc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortOrder: pb.RangeRequest_ASCEND}, "a b c d e ", 5, false, nil},
		{"sort version desc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_VERSION, SortOrder: pb.RangeRequest_DESCEND}, "b a c d e ", 5, false, nil},
		{"sort create default asc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_CREATE}, "a b d e c ", 5, false, nil},
		{"sort mod desc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_MOD, SortOrder: pb.RangeRequest_DESCEND}, "c e d b a ", 5, false, nil},
		{"sort value asc", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_VALUE}, "d a b c e ", 5, false, nil},
		{"sort value desc limit", &pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}, SortTarget: pb.RangeRequest_VALUE, SortOrder: pb.RangeRequest_DESCEND, Limit: 2}, "e c ", 5, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.s.Range(tt.req)
			wantErr(t, err, tt.err)
			if err != nil {
				return
			}
			if got := keysOf(resp.Kvs); got != tt.keys {
				t.Errorf("keys %q, want %q", got, tt.keys)
			}
			if resp.Count != tt.count || resp.More != tt.more {
				t.Errorf("count %d more %v, want %d %v", resp.Count, resp.More, tt.count, tt.more)
			}
			if resp.Header.Revision != 9 {
				t.Errorf("header revision %d", resp.Header.Revision)
			}
		})
	}
}

func TestRangeFields(t *testing.T) {
	h := rangeFixture(t)
	resp, err := h.s.Range(&pb.RangeRequest{Key: []byte("a"), RangeEnd: []byte{0}})
	if err != nil {
		t.Fatal(err)
	}
	want := "a=1(c2 m2 v1 l0) b=22(c3 m5 v2 l0) c=33(c9 m9 v1 l0) d=0(c6 m6 v1 l0) e=9(c8 m8 v1 l0) "
	if got := kvString(resp.Kvs); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	resp, _ = h.s.Range(&pb.RangeRequest{Key: []byte("b"), Revision: 4})
	protoEq(t, resp.Kvs[0], kv("b", "2", 3, 3, 1, 0))
	resp, _ = h.s.Range(&pb.RangeRequest{Key: []byte("b"), KeysOnly: true})
	if resp.Kvs[0].Value != nil || resp.Kvs[0].ModRevision != 5 {
		t.Fatalf("keys only: %v", resp.Kvs[0])
	}
}

func TestPutDelete(t *testing.T) {
	h := newHarness(t)
	if h.s.Rev() != 1 {
		t.Fatalf("new store at revision %d, want 1", h.s.Rev())
	}
	r := h.put("k", "v1")
	if r.Header.Revision != 2 || r.PrevKv != nil {
		t.Fatalf("first put: %v", r)
	}
	r = h.must(&pb.PutRequest{Key: []byte("k"), Value: []byte("v2"), PrevKv: true}).(*pb.PutResponse)
	if r.Header.Revision != 3 {
		t.Fatalf("second put rev %d", r.Header.Revision)
	}
	protoEq(t, r.PrevKv, kv("k", "v1", 2, 2, 1, 0))
	protoEq(t, h.get("k"), kv("k", "v2", 2, 3, 2, 0))

	// ignore_value keeps the value, ignore_lease the lease.
	h.must(&pb.LeaseGrantRequest{ID: 7, TTL: 60})
	h.must(&pb.PutRequest{Key: []byte("k"), IgnoreValue: true, Lease: 7})
	protoEq(t, h.get("k"), kv("k", "v2", 2, 4, 3, 7))
	h.must(&pb.PutRequest{Key: []byte("k"), Value: []byte("v3"), IgnoreLease: true})
	protoEq(t, h.get("k"), kv("k", "v3", 2, 5, 4, 7))

	errs := []struct {
		name string
		req  *pb.PutRequest
		err  error
	}{
		{"empty key", &pb.PutRequest{Value: []byte("x")}, ErrEmptyKey},
		{"value with ignore_value", &pb.PutRequest{Key: []byte("k"), Value: []byte("x"), IgnoreValue: true}, ErrValueProvided},
		{"lease with ignore_lease", &pb.PutRequest{Key: []byte("k"), Lease: 7, IgnoreLease: true}, ErrLeaseProvided},
		{"ignore_value on missing key", &pb.PutRequest{Key: []byte("nope"), IgnoreValue: true}, ErrKeyNotFound},
		{"ignore_lease on missing key", &pb.PutRequest{Key: []byte("nope"), IgnoreLease: true}, ErrKeyNotFound},
		{"unknown lease", &pb.PutRequest{Key: []byte("k"), Lease: 99}, ErrLeaseNotFound},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			before := h.s.Rev()
			wantErr(t, h.apply(tt.req).Err, tt.err)
			if h.s.Rev() != before {
				t.Fatal("a failed put changed the revision")
			}
		})
	}

	// Delete nothing: no new revision.
	d := h.del("nope", "")
	if d.Deleted != 0 || d.Header.Revision != 5 || h.s.Rev() != 5 {
		t.Fatalf("delete of nothing: %v rev %d", d, h.s.Rev())
	}
	h.put("k2", "x")
	h.put("k3", "y")
	d = h.must(&pb.DeleteRangeRequest{Key: []byte("k"), RangeEnd: []byte("k3"), PrevKv: true}).(*pb.DeleteRangeResponse)
	if d.Deleted != 2 || d.Header.Revision != 8 || h.s.Rev() != 8 {
		t.Fatalf("delete range: %v rev %d", d, h.s.Rev())
	}
	if keysOf(d.PrevKvs) != "k k2 " {
		t.Fatalf("prev kvs %s", keysOf(d.PrevKvs))
	}
	if h.get("k") != nil || h.get("k3") == nil {
		t.Fatal("wrong keys deleted")
	}
	// Recreated key starts a new generation.
	h.put("k", "again")
	protoEq(t, h.get("k"), kv("k", "again", 9, 9, 1, 0))
	wantErr(t, h.apply(&pb.DeleteRangeRequest{}).Err, ErrEmptyKey)
	// Deleting a leased key detaches it from the lease.
	resp, _ := h.s.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: 7, Keys: true}, h.s.LastTime())
	if len(resp.Keys) != 0 {
		t.Fatalf("deleted key still attached: %q", resp.Keys)
	}
}

func TestCompact(t *testing.T) {
	h := rangeFixture(t) // revisions 2..9
	before := map[int64]string{}
	for rev := int64(1); rev <= 9; rev++ {
		resp, err := h.s.Range(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: rev})
		if err != nil {
			t.Fatal(err)
		}
		before[rev] = kvString(resp.Kvs)
	}
	logLen := len(h.s.log)
	c := h.must(&pb.CompactionRequest{Revision: 7}).(*pb.CompactionResponse)
	if c.Header.Revision != 9 || h.s.Rev() != 9 || h.s.CompactRev() != 7 {
		t.Fatalf("compact header %d rev %d compact %d", c.Header.Revision, h.s.Rev(), h.s.CompactRev())
	}
	// Superseded history is gone: b@3, c@4 and its tombstone @7.
	if got := len(h.s.log); got != logLen-3 {
		t.Fatalf("log holds %d records after compaction, want %d", got, logLen-3)
	}
	for rev := int64(1); rev <= 9; rev++ {
		resp, err := h.s.Range(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: rev})
		if rev < 7 {
			wantErr(t, err, ErrCompacted)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := kvString(resp.Kvs); got != before[rev] {
			t.Fatalf("rev %d after compaction: %s, want %s", rev, got, before[rev])
		}
	}
	wantErr(t, h.apply(&pb.CompactionRequest{Revision: 7}).Err, ErrCompacted)
	wantErr(t, h.apply(&pb.CompactionRequest{Revision: 5}).Err, ErrCompacted)
	wantErr(t, h.apply(&pb.CompactionRequest{Revision: 10}).Err, ErrFutureRev)
	if ErrCompacted.Error() != "mvcc: required revision has been compacted" ||
		ErrFutureRev.Error() != "mvcc: required revision is a future revision" {
		t.Fatal("error texts differ from etcd's")
	}
	// Compacting at the current revision keeps the current state, and a
	// key deleted before it vanishes entirely.
	h.del("a", "")
	h.must(&pb.CompactionRequest{Revision: h.s.Rev()})
	if _, ok := h.s.keys["a"]; ok {
		t.Fatal("deleted key survived compaction")
	}
	if len(h.s.log) != 4 || h.s.index.len() != 4 {
		t.Fatalf("after full compaction: %d records, %d keys", len(h.s.log), h.s.index.len())
	}
	resp, _ := h.s.Range(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}})
	if keysOf(resp.Kvs) != "b c d e " {
		t.Fatalf("current state after compaction: %s", keysOf(resp.Kvs))
	}
}

func TestApplyEntries(t *testing.T) {
	h := newHarness(t)
	h.put("a", "1")
	data, _ := Encode(1, h.now, &pb.PutRequest{Key: []byte("a"), Value: []byte("2")})
	wantErr(t, h.s.Apply(1, data).Err, ErrAlreadyApplied)
	wantErr(t, h.s.Apply(2, []byte("junk")).Err, ErrBadEntry)
	if h.s.AppliedIndex() != 2 || h.s.Rev() != 2 {
		t.Fatalf("applied %d rev %d", h.s.AppliedIndex(), h.s.Rev())
	}
	if _, err := Encode(1, 0, &pb.RangeRequest{}); err == nil {
		t.Fatal("ranges are not log entries")
	}
}
