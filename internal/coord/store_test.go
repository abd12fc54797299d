package coord

import (
	"bytes"
	"sync"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

func TestConfig(t *testing.T) {
	for _, c := range []Config{{MinLeaseTTL: -1}, {MaxTxnOps: -1}, {WatchBuffer: -1}, {MinLeaseTTL: MaxLeaseTTL + 1}} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	s, err := New(Config{MinLeaseTTL: 5, MaxTxnOps: 2})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.s = s
	if r := h.must(&pb.LeaseGrantRequest{ID: 1, TTL: 3}).(*pb.LeaseGrantResponse); r.TTL != 5 {
		t.Fatalf("min TTL: %d", r.TTL)
	}
	wantErr(t, h.apply(&pb.TxnRequest{Success: []*pb.RequestOp{opGet("a", ""), opGet("b", ""), opGet("c", "")}}).Err, ErrTooManyOps)
}

func TestErrorTexts(t *testing.T) {
	// The texts of etcd's rpctypes and mvcc errors, which clients match.
	want := map[error]string{
		ErrCompacted:        "mvcc: required revision has been compacted",
		ErrFutureRev:        "mvcc: required revision is a future revision",
		ErrEmptyKey:         "etcdserver: key is not provided",
		ErrKeyNotFound:      "etcdserver: key not found",
		ErrValueProvided:    "etcdserver: value is provided",
		ErrLeaseProvided:    "etcdserver: lease is provided",
		ErrTooManyOps:       "etcdserver: too many operations in txn request",
		ErrDuplicateKey:     "etcdserver: duplicate key given in txn request",
		ErrLeaseNotFound:    "etcdserver: requested lease not found",
		ErrLeaseExists:      "etcdserver: lease already exists",
		ErrLeaseTTLTooLarge: "etcdserver: too large lease TTL",
	}
	for err, text := range want {
		if err.Error() != text {
			t.Errorf("%q, want %q", err, text)
		}
	}
}

// TestConcurrentUse runs applies, reads, watches and snapshots at once, for
// the race detector.
func TestConcurrentUse(t *testing.T) {
	s, _ := New(Config{WatchBuffer: 4})
	entries := workload(t, 77, 300)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		defer close(done)
		applyAll(t, s, 1, entries)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			s.Range(&pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: s.Rev()})
			s.Txn(&pb.TxnRequest{Compare: []*pb.Compare{cmpValue("k01", pb.Compare_EQUAL, "1")}, Success: []*pb.RequestOp{opGet("k", "l")}})
			var buf bytes.Buffer
			if err := s.WriteSnapshot(&buf); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			w := s.Watch(WatchOptions{Key: []byte("k"), RangeEnd: []byte("l"), StartRev: 1, PrevKV: true})
			for range 3 {
				select {
				case <-w.C:
				case <-done:
				}
			}
			w.Cancel()
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	go func() {
		defer wg.Done()
		w := s.Watch(WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}})
		defer w.Cancel()
		for {
			select {
			case <-w.C:
				s.SyncWatchers()
				w.RequestProgress()
				s.NotifyProgress()
			case <-done:
				return
			}
		}
	}()
	wg.Wait()
}

func TestCheck(t *testing.T) {
	s, _ := New(Config{})
	tests := []struct {
		req proto.Message
		err error
	}{
		{&pb.RangeRequest{}, ErrEmptyKey},
		{&pb.RangeRequest{Key: []byte("a")}, nil},
		{&pb.PutRequest{Key: []byte("a"), Value: []byte("v"), IgnoreValue: true}, ErrValueProvided},
		{&pb.DeleteRangeRequest{}, ErrEmptyKey},
		{&pb.TxnRequest{Success: []*pb.RequestOp{opPut("k", "1"), opPut("k", "2")}}, ErrDuplicateKey},
		{&pb.LeaseGrantRequest{TTL: MaxLeaseTTL + 1}, ErrLeaseTTLTooLarge},
		{&pb.LeaseGrantRequest{TTL: 5}, nil},
	}
	for _, tt := range tests {
		wantErr(t, s.Check(tt.req), tt.err)
	}
}
