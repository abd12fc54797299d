package producer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// ErrBadSnapshot reports snapshot bytes that Restore cannot accept.
var ErrBadSnapshot = errors.New("producer: bad snapshot")

const (
	snapshotVersion = 1
	snapHeaderLen   = 1 + 4         // version, producer count
	entryLen        = 8 + 2 + 8 + 1 // pid, epoch, lastAppendMs, batch count
	batchLen        = 4 + 4 + 8 + 8 + 8
	snapTrailerLen  = 4 // CRC32C of everything before it
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot encodes the state deterministically: the same state gives the
// same bytes on every replica. Layout (big-endian): version byte, producer
// count (uint32), then per producer in ascending id order: id (int64),
// epoch (int16), lastAppendMs (int64), batch count (uint8, <= WindowSize),
// batches oldest first (baseSeq, lastSeq int32; baseOffset, lastOffset,
// timestamp int64); then a CRC32C of all that. The configuration is not
// part of it.
func (s *State) Snapshot() []byte {
	n := snapHeaderLen + snapTrailerLen
	for _, e := range s.producers {
		n += entryLen + len(e.Batches)*batchLen
	}
	out := make([]byte, 0, n)
	out = append(out, snapshotVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(len(s.producers)))
	for _, pid := range s.sortedIDs() {
		e := s.producers[pid]
		out = binary.BigEndian.AppendUint64(out, uint64(pid))
		out = binary.BigEndian.AppendUint16(out, uint16(e.Epoch))
		out = binary.BigEndian.AppendUint64(out, uint64(e.LastAppendMs))
		out = append(out, byte(len(e.Batches)))
		for _, m := range e.Batches {
			out = binary.BigEndian.AppendUint32(out, uint32(m.BaseSequence))
			out = binary.BigEndian.AppendUint32(out, uint32(m.LastSequence))
			out = binary.BigEndian.AppendUint64(out, uint64(m.BaseOffset))
			out = binary.BigEndian.AppendUint64(out, uint64(m.LastOffset))
			out = binary.BigEndian.AppendUint64(out, uint64(m.Timestamp))
		}
	}
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// Restore replaces the state with a snapshot's, leaving it unchanged on
// error. It checks the structure (checksum, version, ascending unique ids,
// 1 to WindowSize batches each, no trailing bytes), so that accepted bytes
// are exactly what Snapshot writes back, but not the values: whatever
// Record stored must restore, or a replica could never catch up.
func (s *State) Restore(snap []byte) error {
	if len(snap) < snapHeaderLen+snapTrailerLen {
		return fmt.Errorf("%w: %d bytes", ErrBadSnapshot, len(snap))
	}
	body, sum := snap[:len(snap)-snapTrailerLen], binary.BigEndian.Uint32(snap[len(snap)-snapTrailerLen:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return fmt.Errorf("%w: crc %#08x, computed %#08x", ErrBadSnapshot, sum, got)
	}
	if body[0] != snapshotVersion {
		return fmt.Errorf("%w: version %d", ErrBadSnapshot, body[0])
	}
	count := binary.BigEndian.Uint32(body[1:])
	b := body[snapHeaderLen:]
	if uint64(count) > uint64(len(b)/entryLen) {
		return fmt.Errorf("%w: %d producers in %d bytes", ErrBadSnapshot, count, len(b))
	}
	producers := make(map[int64]*Entry, count)
	prev := int64(math.MinInt64)
	for i := range count {
		if len(b) < entryLen {
			return fmt.Errorf("%w: producer %d truncated", ErrBadSnapshot, i)
		}
		pid := int64(binary.BigEndian.Uint64(b))
		e := &Entry{
			Epoch:        int16(binary.BigEndian.Uint16(b[8:])),
			LastAppendMs: int64(binary.BigEndian.Uint64(b[10:])),
		}
		nb := int(b[18])
		b = b[entryLen:]
		switch {
		case i > 0 && pid <= prev:
			return fmt.Errorf("%w: producer ids out of order (%d after %d)", ErrBadSnapshot, pid, prev)
		case nb < 1 || nb > WindowSize:
			return fmt.Errorf("%w: producer %d has %d batches", ErrBadSnapshot, pid, nb)
		case len(b) < nb*batchLen:
			return fmt.Errorf("%w: producer %d batches truncated", ErrBadSnapshot, pid)
		}
		prev = pid
		e.Batches = make([]BatchMeta, nb)
		for j := range e.Batches {
			m := BatchMeta{
				BaseSequence: int32(binary.BigEndian.Uint32(b)),
				LastSequence: int32(binary.BigEndian.Uint32(b[4:])),
				BaseOffset:   int64(binary.BigEndian.Uint64(b[8:])),
				LastOffset:   int64(binary.BigEndian.Uint64(b[16:])),
				Timestamp:    int64(binary.BigEndian.Uint64(b[24:])),
			}
			b = b[batchLen:]
			e.Batches[j] = m
		}
		producers[pid] = e
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadSnapshot, len(b))
	}
	s.producers = producers
	return nil
}
