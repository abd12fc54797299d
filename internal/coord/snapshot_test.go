package coord

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

// workload returns n encoded log entries exercising every kind, including
// failing requests and compactions, from a fixed seed.
func workload(t testing.TB, seed uint64, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	key := func() []byte { return []byte(fmt.Sprintf("k%02d", rng.IntN(30))) }
	now := int64(1_700_000_000_000)
	rev := int64(1) // an estimate, for compaction targets
	var out [][]byte
	for i := range n {
		now += int64(rng.IntN(3000))
		var req proto.Message
		switch p := rng.IntN(100); {
		case p < 45:
			req = &pb.PutRequest{Key: key(), Value: []byte(fmt.Sprint(i)), Lease: int64(rng.IntN(4)) * int64(rng.IntN(2)), PrevKv: rng.IntN(2) == 0}
			rev++
		case p < 55:
			k := key()
			req = &pb.DeleteRangeRequest{Key: k, RangeEnd: append(bytes.Clone(k), '5'), PrevKv: true}
			rev++
		case p < 75:
			req = &pb.TxnRequest{
				Compare: []*pb.Compare{cmpInt(string(key()), pb.Compare_VERSION, pb.Compare_GREATER, int64(rng.IntN(3)))},
				Success: []*pb.RequestOp{opPut(string(key())+"a", fmt.Sprint(i)), opGet("k", "l")},
				Failure: []*pb.RequestOp{opDel(string(key()), ""), opTxn(&pb.TxnRequest{Success: []*pb.RequestOp{opPut(string(key())+"b", "n")}})},
			}
			rev++
		case p < 82:
			req = &pb.LeaseGrantRequest{ID: int64(rng.IntN(4)), TTL: int64(rng.IntN(20))}
		case p < 87:
			req = &pb.LeaseRevokeRequest{ID: int64(1 + rng.IntN(3))}
		case p < 95:
			req = &pb.LeaseKeepAliveRequest{ID: int64(1 + rng.IntN(3))}
		default:
			req = &pb.CompactionRequest{Revision: rev - int64(rng.IntN(10))}
		}
		data, err := Encode(rng.Uint64(), now, req)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func applyAll(t testing.TB, s *Store, from uint64, entries [][]byte) {
	for i, e := range entries {
		s.Apply(from+uint64(i), e)
	}
}

func snapshot(t testing.TB, s *Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameHistory checks that b answers every read a can answer, at every
// revision, as a does.
func sameHistory(t *testing.T, a, b *Store) {
	t.Helper()
	if a.Rev() != b.Rev() || a.CompactRev() != b.CompactRev() || a.AppliedIndex() != b.AppliedIndex() {
		t.Fatalf("rev %d/%d compact %d/%d applied %d/%d", a.Rev(), b.Rev(), a.CompactRev(), b.CompactRev(), a.AppliedIndex(), b.AppliedIndex())
	}
	for rev := int64(0); rev <= a.Rev()+1; rev++ {
		req := &pb.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Revision: rev}
		ra, errA := a.Range(req)
		rb, errB := b.Range(req)
		if !errors.Is(errB, errA) || !proto.Equal(ra, rb) {
			t.Fatalf("rev %d: %v %v\nvs %v %v", rev, ra, errA, rb, errB)
		}
	}
	now := a.LastTime()
	if !proto.Equal(a.LeaseLeases(nil), b.LeaseLeases(nil)) {
		t.Fatal("leases differ")
	}
	for _, l := range a.LeaseLeases(nil).Leases {
		ta, _ := a.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: l.ID, Keys: true}, now)
		tb, _ := b.LeaseTimeToLive(&pb.LeaseTimeToLiveRequest{ID: l.ID, Keys: true}, now)
		if !proto.Equal(ta, tb) {
			t.Fatalf("lease %d: %v vs %v", l.ID, ta, tb)
		}
	}
	if fmt.Sprint(a.Expired(now.Add(time.Hour))) != fmt.Sprint(b.Expired(now.Add(time.Hour))) {
		t.Fatal("expiry differs")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	entries := workload(t, 42, 600)
	a, _ := New(Config{})
	applyAll(t, a, 1, entries[:400])
	if a.CompactRev() == 0 || len(a.leases) == 0 {
		t.Fatalf("workload too tame: compact %d, %d leases", a.CompactRev(), len(a.leases))
	}
	snap := snapshot(t, a)
	b, _ := New(Config{})
	b.put0(t) // state to be replaced
	if err := b.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	sameHistory(t, a, b)
	if !bytes.Equal(snapshot(t, b), snap) {
		t.Fatal("restored store writes a different snapshot")
	}
	// Replaying entries already in the snapshot is skipped; new ones keep
	// both stores identical.
	applyAll(t, b, 1, entries[:400])
	applyAll(t, a, 401, entries[400:])
	applyAll(t, b, 401, entries[400:])
	sameHistory(t, a, b)
	if !bytes.Equal(snapshot(t, a), snapshot(t, b)) {
		t.Fatal("stores diverged after restore")
	}
}

// put0 gives a store some state of its own.
func (s *Store) put0(t *testing.T) {
	data, _ := Encode(1, 1, &pb.PutRequest{Key: []byte("stale"), Value: []byte("x")})
	if r := s.Apply(1, data); r.Err != nil {
		t.Fatal(r.Err)
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	a, _ := New(Config{})
	applyAll(t, a, 1, workload(t, 7, 200))
	snap := snapshot(t, a)
	b, _ := New(Config{})
	b.put0(t)
	before := snapshot(t, b)
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": snap[:len(snap)/2],
		"no crc":    snap[:len(snap)-4],
		"magic":     append([]byte("XRIADCRD"), snap[8:]...),
	}
	for _, i := range []int{9, 20, len(snap) / 3, len(snap) - 1} {
		c := bytes.Clone(snap)
		c[i] ^= 0x40
		cases[fmt.Sprintf("flip %d", i)] = c
	}
	for name, data := range cases {
		if err := b.Restore(bytes.NewReader(data)); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !bytes.Equal(snapshot(t, b), before) {
		t.Fatal("a failed restore changed the store")
	}
}

func TestSnapshotWatchers(t *testing.T) {
	a, _ := New(Config{})
	entries := workload(t, 9, 100)
	applyAll(t, a, 1, entries)
	b, _ := New(Config{})
	w := b.Watch(WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}})
	if err := b.Restore(bytes.NewReader(snapshot(t, a))); err != nil {
		t.Fatal(err)
	}
	// The watcher started at revision 2; the restored history starts at
	// its compaction, so it learns it missed events.
	got, closed := drain(w)
	if a.CompactRev() > 2 && (!closed || len(got) != 1 || got[0].CompactRevision != a.CompactRev()) {
		t.Fatalf("after restore: %+v closed %v", got, closed)
	}
}

func TestDeterminism(t *testing.T) {
	entries := workload(t, 1234, 500)
	a, _ := New(Config{})
	b, _ := New(Config{WatchBuffer: 1})
	// Watchers, reads and sync calls on one store must not change its state.
	w := b.Watch(WatchOptions{Key: []byte{0}, RangeEnd: []byte{0}, PrevKV: true})
	defer w.Cancel()
	for i, e := range entries {
		ra := a.Apply(uint64(i+1), e)
		rb := b.Apply(uint64(i+1), e)
		if ra.ID != rb.ID || !errors.Is(ra.Err, rb.Err) || !proto.Equal(ra.Response, rb.Response) {
			t.Fatalf("entry %d: %v %v vs %v %v", i, ra.Response, ra.Err, rb.Response, rb.Err)
		}
		if i%50 == 0 {
			b.SyncWatchers()
			b.Range(&pb.RangeRequest{Key: []byte("k"), RangeEnd: []byte{0}})
		}
	}
	if !bytes.Equal(snapshot(t, a), snapshot(t, b)) {
		t.Fatal("same entries, different snapshots")
	}
}

// A frozen state written after more entries (puts, deletes, compactions)
// were applied is byte for byte the snapshot of the moment it was frozen.
func TestFrozenIgnoresLaterApplies(t *testing.T) {
	entries := workload(t, 7, 800)
	a, _ := New(Config{})
	applyAll(t, a, 1, entries[:400])
	want := snapshot(t, a)
	f := a.Freeze()
	applyAll(t, a, 401, entries[400:])
	var got bytes.Buffer
	if err := f.Write(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("the frozen state changed with later applies")
	}
}
