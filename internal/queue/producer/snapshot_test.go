package producer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// randomState drives a state through a random but valid history.
func randomState(seed uint64, n int) *State {
	rng := rand.New(rand.NewPCG(seed, 0))
	s := New(Config{})
	var offset int64
	next := map[int64]int32{}
	epoch := map[int64]int16{}
	for i := range n {
		pid := int64(rng.IntN(8))
		if rng.IntN(10) == 0 {
			epoch[pid]++
			next[pid] = 0
		}
		b := Batch{ProducerID: pid, Epoch: epoch[pid], BaseSequence: next[pid], Count: int32(1 + rng.IntN(5))}
		r := s.Check(b)
		if r.Outcome != Append {
			panic(r.Err)
		}
		s.Record(b, offset, int64(i), int64(i*10))
		offset += int64(b.Count)
		next[pid] = r.NextSequence
	}
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	for seed := range uint64(20) {
		s := randomState(seed, 200)
		snap := s.Snapshot()
		r := New(Config{})
		if err := r.Restore(snap); err != nil {
			t.Fatal(err)
		}
		if got := r.Snapshot(); !bytes.Equal(got, snap) {
			t.Fatalf("seed %d: snapshot changed across restore", seed)
		}
		for pid := range s.producers {
			a, _ := s.Entry(pid)
			b, ok := r.Entry(pid)
			if !ok || a.Epoch != b.Epoch || a.LastAppendMs != b.LastAppendMs || len(a.Batches) != len(b.Batches) {
				t.Fatalf("producer %d: %+v, restored %+v", pid, a, b)
			}
			for i := range a.Batches {
				if a.Batches[i] != b.Batches[i] {
					t.Fatalf("producer %d batch %d: %+v, restored %+v", pid, i, a.Batches[i], b.Batches[i])
				}
			}
		}
		// The restored state decides as the original does.
		for pid := range int64(8) {
			for seq := range int32(40) {
				bt := Batch{ProducerID: pid, Epoch: 1, BaseSequence: seq, Count: 1}
				x, y := s.Check(bt), r.Check(bt)
				if x.Outcome != y.Outcome || x.Dup != y.Dup || x.NextSequence != y.NextSequence {
					t.Fatalf("%+v: %+v vs restored %+v", bt, x, y)
				}
			}
		}
	}
}

func TestSnapshotDeterministic(t *testing.T) {
	// Same history, same bytes, whatever the map's iteration order.
	a, b := randomState(7, 500).Snapshot(), randomState(7, 500).Snapshot()
	if !bytes.Equal(a, b) {
		t.Fatal("snapshots of the same history differ")
	}
	empty := New(Config{}).Snapshot()
	r := randomState(1, 10)
	if err := r.Restore(empty); err != nil || r.Len() != 0 {
		t.Fatalf("restore empty: %v, %d producers", err, r.Len())
	}
}

func TestRestoreRejects(t *testing.T) {
	good := randomState(3, 50).Snapshot()
	s := randomState(4, 50)
	before := s.Snapshot()
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		if err := s.Restore(bad); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("flip at %d: %v", i, err)
		}
	}
	for _, bad := range [][]byte{nil, good[:4], good[:len(good)-1], append(bytes.Clone(good), 0)} {
		if err := s.Restore(bad); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("%d bytes: %v", len(bad), err)
		}
	}
	if !bytes.Equal(s.Snapshot(), before) {
		t.Fatal("a failed restore changed the state")
	}
}

func FuzzRestore(f *testing.F) {
	f.Add(New(Config{}).Snapshot())
	f.Add(randomState(1, 3).Snapshot())
	f.Add(randomState(2, 100).Snapshot())
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		restoreRoundTrip(t, data)
		// Mutations rarely keep the checksum valid; also try the bytes
		// with a correct one, so the structural checks get fuzzed.
		if len(data) >= 4 {
			body := data[:len(data)-4]
			restoreRoundTrip(t, binary.BigEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli)))
		}
	})
}

func restoreRoundTrip(t *testing.T, data []byte) {
	s := New(Config{})
	if err := s.Restore(data); err != nil {
		return
	}
	// Accepted bytes are canonical: they come back unchanged.
	if got := s.Snapshot(); !bytes.Equal(got, data) {
		t.Fatalf("restore then snapshot changed the bytes:\n%x\n%x", data, got)
	}
	// And the state is usable.
	for pid := range s.producers {
		b := Batch{ProducerID: pid, Epoch: 0, BaseSequence: 0, Count: 1}
		if s.Check(b).Outcome == Append {
			s.Record(b, 0, 0, 0)
		}
	}
	s.Expire(0)
}
