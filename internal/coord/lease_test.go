package coord

import (
	"slices"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

func TestLeaseGrant(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name    string
		req     *pb.LeaseGrantRequest
		id, ttl int64
		err     error
	}{
		{"explicit id", &pb.LeaseGrantRequest{ID: 10, TTL: 30}, 10, 30, nil},
		{"raised to min ttl", &pb.LeaseGrantRequest{ID: 11, TTL: 1}, 11, 2, nil},
		{"zero ttl", &pb.LeaseGrantRequest{ID: 12}, 12, 2, nil},
		{"duplicate", &pb.LeaseGrantRequest{ID: 10, TTL: 5}, 0, 0, ErrLeaseExists},
		{"too large", &pb.LeaseGrantRequest{ID: 13, TTL: MaxLeaseTTL + 1}, 0, 0, ErrLeaseTTLTooLarge},
		{"id from entry", &pb.LeaseGrantRequest{TTL: 5}, 6 * 7919, 5, nil}, // 6th entry: ID 6*7919
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.apply(tt.req)
			wantErr(t, res.Err, tt.err)
			if res.Err != nil {
				return
			}
			r := res.Response.(*pb.LeaseGrantResponse)
			if r.ID != tt.id || r.TTL != tt.ttl || r.Header.Revision != 1 {
				t.Fatalf("grant: %v", r)
			}
		})
	}
	if ErrLeaseNotFound.Error() != "etcdserver: requested lease not found" {
		t.Fatal("error text differs from etcd's")
	}
	ls := h.s.LeaseLeases(&pb.LeaseLeasesRequest{})
	var ids []int64
	for _, l := range ls.Leases {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, []int64{10, 11, 12, 6 * 7919}) {
		t.Fatalf("leases %v", ids)
	}
}

func TestLeaseLifecycle(t *testing.T) {
	h := newHarness(t)
	t0 := h.now
	at := func(ms int64) time.Time { return time.UnixMilli(t0 + ms) }
	h.must(&pb.LeaseGrantRequest{ID: 1, TTL: 10})
	h.must(&pb.LeaseGrantRequest{ID: 2, TTL: 5})
	for _, k := range []string{"k2", "k1", "k3"} {
		h.must(&pb.PutRequest{Key: []byte(k), Value: []byte("v"), Lease: 1})
	}
	h.must(&pb.PutRequest{Key: []byte("other"), Value: []byte("v"), Lease: 2})
	// Moving a key to another lease, or to none, detaches it.
	h.must(&pb.PutRequest{Key: []byte("k3"), Value: []byte("v"), Lease: 2})
	h.put("other", "no lease")

	ttl, err := h.s.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: 1, Keys: true}, at(2500))
	if err != nil {
		t.Fatal(err)
	}
	if ttl.TTL != 7 || ttl.GrantedTTL != 10 || len(ttl.Keys) != 2 || string(ttl.Keys[0]) != "k1" || string(ttl.Keys[1]) != "k2" {
		t.Fatalf("time to live: %v", ttl)
	}
	if _, err := h.s.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: 9}, at(0)); err != ErrLeaseNotFound {
		t.Fatalf("ttl of unknown lease: %v", err)
	}

	// Expiry is a query; nothing expires by itself.
	if got := h.s.Expired(at(4999)); len(got) != 0 {
		t.Fatalf("expired early: %v", got)
	}
	if got := h.s.Expired(at(5000)); !slices.Equal(got, []int64{2}) {
		t.Fatalf("expired at 5s: %v", got)
	}
	if got := h.s.Expired(at(20000)); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("expired at 20s: %v", got)
	}

	// A logged refresh resets the deadline from the entry's timestamp.
	h.now = t0 + 4000
	r := h.must(&pb.LeaseKeepAliveRequest{ID: 2}).(*pb.LeaseKeepAliveResponse)
	if r.ID != 2 || r.TTL != 5 {
		t.Fatalf("keepalive: %v", r)
	}
	if got := h.s.Expired(at(8999)); len(got) != 0 {
		t.Fatalf("expired after refresh: %v", got)
	}
	if got := h.s.Expired(at(9000)); !slices.Equal(got, []int64{2}) {
		t.Fatalf("expired at 9s: %v", got)
	}
	wantErr(t, h.apply(&pb.LeaseKeepAliveRequest{ID: 9}).Err, ErrLeaseNotFound)
	ttl, _ = h.s.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: 2}, at(10500))
	if ttl.TTL != -1 {
		t.Fatalf("ttl past deadline: %d, want -1 as etcd", ttl.TTL)
	}

	// Revoke deletes the attached keys in one revision.
	rev := h.s.Rev()
	w := h.s.Watch(WatchOptions{Key: []byte("k"), RangeEnd: []byte("l")})
	defer w.Cancel()
	rv := h.must(&pb.LeaseRevokeRequest{ID: 1}).(*pb.LeaseRevokeResponse)
	if h.s.Rev() != rev+1 || rv.Header.Revision != rev+1 {
		t.Fatalf("revoke: rev %d header %d, want %d", h.s.Rev(), rv.Header.Revision, rev+1)
	}
	if h.get("k1") != nil || h.get("k2") != nil || h.get("k3") == nil {
		t.Fatal("revoke deleted the wrong keys")
	}
	resp := <-w.C
	if len(resp.Events) != 2 || string(resp.Events[0].Kv.Key) != "k1" || resp.Events[1].Kv.ModRevision != rev+1 {
		t.Fatalf("revoke events: %v", resp.Events)
	}
	wantErr(t, h.apply(&pb.LeaseRevokeRequest{ID: 1}).Err, ErrLeaseNotFound)
	// Revoking a lease without keys makes no revision.
	h.must(&pb.LeaseGrantRequest{ID: 3, TTL: 5})
	h.must(&pb.LeaseRevokeRequest{ID: 3})
	if h.s.Rev() != rev+1 {
		t.Fatal("revoking an empty lease made a revision")
	}
}
