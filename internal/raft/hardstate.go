package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	pb "go.etcd.io/raft/v3/raftpb"

	"triad/internal/storage/vfs"
)

// A hard state file holds two fixed slots written alternately in place (see
// doc.go): a torn write can damage only the slot being written, and the
// other still holds the previous hard state.
const (
	hsSlotSize = 64
	hsBody     = 32 // seq | term | vote | commit, u64 little-endian each
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type hardStateFile struct {
	f   vfs.File
	seq uint64 // sequence of the newest valid slot; 0 before the first write
}

// openHardState opens (creating) the file and returns the newest valid
// hard state in it (zero if none).
func openHardState(fsys vfs.FS, path string) (*hardStateFile, hardState, error) {
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, hardState{}, fmt.Errorf("raft: open hard state: %w", err)
	}
	h := &hardStateFile{f: f}
	var best hardState
	buf := make([]byte, hsSlotSize)
	for slot := range 2 {
		n, err := f.ReadAt(buf, int64(slot*hsSlotSize))
		if err != nil && !errors.Is(err, io.EOF) {
			f.Close()
			return nil, hardState{}, fmt.Errorf("raft: read hard state: %w", err)
		}
		if n < hsBody+4 {
			continue
		}
		if crc32.Checksum(buf[:hsBody], castagnoli) != binary.LittleEndian.Uint32(buf[hsBody:]) {
			continue
		}
		seq := binary.LittleEndian.Uint64(buf)
		if seq > h.seq {
			h.seq = seq
			best = hardState{
				term:   binary.LittleEndian.Uint64(buf[8:]),
				vote:   binary.LittleEndian.Uint64(buf[16:]),
				commit: binary.LittleEndian.Uint64(buf[24:]),
			}
		}
	}
	return h, best, nil
}

type hardState struct{ term, vote, commit uint64 }

func hardStateFromPB(hs *pb.HardState) hardState {
	return hardState{term: hs.GetTerm(), vote: hs.GetVote(), commit: hs.GetCommit()}
}

func (s hardState) pb() *pb.HardState {
	return &pb.HardState{Term: new(s.term), Vote: new(s.vote), Commit: new(s.commit)}
}

// write writes s into the older slot; it is durable after sync.
func (h *hardStateFile) write(s hardState) error {
	seq := h.seq + 1
	buf := make([]byte, hsSlotSize)
	binary.LittleEndian.PutUint64(buf, seq)
	binary.LittleEndian.PutUint64(buf[8:], s.term)
	binary.LittleEndian.PutUint64(buf[16:], s.vote)
	binary.LittleEndian.PutUint64(buf[24:], s.commit)
	binary.LittleEndian.PutUint32(buf[hsBody:], crc32.Checksum(buf[:hsBody], castagnoli))
	if _, err := h.f.Seek(int64(seq%2)*hsSlotSize, io.SeekStart); err != nil {
		return fmt.Errorf("raft: write hard state: %w", err)
	}
	if _, err := h.f.Write(buf); err != nil {
		return fmt.Errorf("raft: write hard state: %w", err)
	}
	h.seq = seq
	return nil
}

func (h *hardStateFile) sync() error {
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("raft: sync hard state: %w", err)
	}
	return nil
}

func (h *hardStateFile) close() error { return h.f.Close() }
