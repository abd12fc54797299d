package raft

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

// snapMagic opens the body of every group snapshot file (doc.go).
const snapMagic = "TRIADRS1"

// snapHeader is what a snapshot file carries before the state machine's
// bytes: raft's metadata and the membership the host keeps beside raft.
type snapHeader struct {
	meta    *pb.SnapshotMetadata
	nodes   map[uint64]uint64 // replica → node
	removed map[uint64]bool   // replica IDs that must never come back
}

func writeSnapHeader(w io.Writer, h snapHeader) error {
	meta, err := proto.Marshal(h.meta)
	if err != nil {
		return err
	}
	b := []byte(snapMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(meta)))
	b = append(b, meta...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.nodes)))
	for _, r := range slices.Sorted(maps.Keys(h.nodes)) {
		b = binary.LittleEndian.AppendUint64(b, r)
		b = binary.LittleEndian.AppendUint64(b, h.nodes[r])
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.removed)))
	for _, r := range slices.Sorted(maps.Keys(h.removed)) {
		b = binary.LittleEndian.AppendUint64(b, r)
	}
	_, err = w.Write(b)
	return err
}

var errBadSnapshot = errors.New("raft: malformed snapshot header")

// readSnapHeader reads the header and leaves r at the state machine's bytes.
func readSnapHeader(r *bufio.Reader) (snapHeader, error) {
	var h snapHeader
	magic := make([]byte, len(snapMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != snapMagic {
		return h, fmt.Errorf("%w: bad magic", errBadSnapshot)
	}
	u32 := func() (uint32, error) {
		var b [4]byte
		_, err := io.ReadFull(r, b[:])
		return binary.LittleEndian.Uint32(b[:]), err
	}
	u64 := func() (uint64, error) {
		var b [8]byte
		_, err := io.ReadFull(r, b[:])
		return binary.LittleEndian.Uint64(b[:]), err
	}
	n, err := u32()
	if err != nil || n > 64<<20 {
		return h, fmt.Errorf("%w: metadata length", errBadSnapshot)
	}
	mb := make([]byte, n)
	if _, err := io.ReadFull(r, mb); err != nil {
		return h, fmt.Errorf("%w: %w", errBadSnapshot, err)
	}
	h.meta = &pb.SnapshotMetadata{}
	if err := proto.Unmarshal(mb, h.meta); err != nil {
		return h, fmt.Errorf("%w: %w", errBadSnapshot, err)
	}
	if n, err = u32(); err != nil || n > 1<<20 {
		return h, fmt.Errorf("%w: members", errBadSnapshot)
	}
	h.nodes = make(map[uint64]uint64, n)
	for range n {
		rep, err1 := u64()
		node, err2 := u64()
		if err := errors.Join(err1, err2); err != nil {
			return h, fmt.Errorf("%w: %w", errBadSnapshot, err)
		}
		h.nodes[rep] = node
	}
	if n, err = u32(); err != nil || n > 1<<20 {
		return h, fmt.Errorf("%w: removed", errBadSnapshot)
	}
	h.removed = make(map[uint64]bool, n)
	for range n {
		rep, err := u64()
		if err != nil {
			return h, fmt.Errorf("%w: %w", errBadSnapshot, err)
		}
		h.removed[rep] = true
	}
	return h, nil
}

// snapDescriptor is Snapshot.Data in raft messages and MemoryStorage: the
// group and index naming the file. The bytes travel beside the message.
func snapDescriptor(group, index uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, group)
	return binary.LittleEndian.AppendUint64(b, index)
}
