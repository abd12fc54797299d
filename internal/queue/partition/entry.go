package partition

import (
	"encoding/binary"
	"errors"
	"fmt"
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

func encodeEntry(e entry) []byte {
	b := make([]byte, headerSize, headerSize+len(e.body))
	b[0] = e.kind
	binary.BigEndian.PutUint64(b[1:], e.id)
	binary.BigEndian.PutUint64(b[9:], uint64(e.time))
	binary.BigEndian.PutUint64(b[17:], uint64(e.offset))
	return append(b, e.body...)
}

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
