package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Entry kinds: the first byte of every entry a partition's log holds (see
// doc.go for the layouts).
const (
	kindProduce  byte = 1
	kindLogStart byte = 2
)

// headerSize is kind u8 | id u64 | time i64 | offset i64.
const headerSize = 1 + 8 + 8 + 8

var errBadEntry = errors.New("partition: malformed log entry")

// entry is a decoded log entry.
type entry struct {
	kind byte
	id   uint64 // the proposer's completion ID; 0 for none
	time int64  // the proposer's clock, Unix ms
	// offset: for produce, the base offset the leader stamped into the
	// first batch (-1 when it predicted a duplicate); for log start, the
	// new log start offset.
	offset int64
	body   []byte // produce: the record set (batches, offsets stamped)
}

func encodeEntry(e entry) []byte { return appendEntry(nil, e) }

// appendEntry encodes e onto dst.
func appendEntry(dst []byte, e entry) []byte {
	dst = append(dst, e.kind)
	dst = binary.BigEndian.AppendUint64(dst, e.id)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.time))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.offset))
	return append(dst, e.body...)
}

// entryBufs recycles the buffers produce entries are encoded into: raft
// copies a proposal's data into its own log, so the buffer is free again
// once propose returns (a 1 MiB batch would otherwise cost a 1 MiB
// allocation, zeroed, per produce). Buffers past 16 MiB are not kept.
var entryBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledEntry = 16 << 20

// decodeEntry decodes an entry; body aliases data.
func decodeEntry(data []byte) (entry, error) {
	if len(data) < headerSize {
		return entry{}, fmt.Errorf("%w: %d bytes", errBadEntry, len(data))
	}
	e := entry{
		kind:   data[0],
		id:     binary.BigEndian.Uint64(data[1:]),
		time:   int64(binary.BigEndian.Uint64(data[9:])),
		offset: int64(binary.BigEndian.Uint64(data[17:])),
		body:   data[headerSize:],
	}
	if e.kind != kindProduce && e.kind != kindLogStart {
		return entry{}, fmt.Errorf("%w: kind %d", errBadEntry, e.kind)
	}
	return e, nil
}
