package raft

import (
	"bufio"
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

// FuzzSnapHeader: a snapshot header read from disk or from a peer's stream
// never panics, and a header that decodes re-encodes to the same bytes.
func FuzzSnapHeader(f *testing.F) {
	var buf bytes.Buffer
	h := snapHeader{
		meta:    &pb.SnapshotMetadata{Index: new(uint64(42)), Term: new(uint64(3)), ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}}},
		nodes:   map[uint64]uint64{1: 10, 2: 20, 3: 30},
		removed: map[uint64]bool{4: true},
	}
	if err := writeSnapHeader(&buf, h); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(snapMagic))
	f.Add([]byte("TRIADRS1\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		got, err := readSnapHeader(r)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := writeSnapHeader(&out, got); err != nil {
			t.Fatal(err)
		}
		again, err := readSnapHeader(bufio.NewReader(&out))
		if err != nil {
			t.Fatalf("re-encoded header does not decode: %v", err)
		}
		if !proto.Equal(again.meta, got.meta) || len(again.nodes) != len(got.nodes) || len(again.removed) != len(got.removed) {
			t.Fatalf("round trip changed the header: %+v vs %+v", again, got)
		}
	})
}
