package benchqueue

import (
	"encoding/binary"
	"sync"
	"time"
)

// records hands out record values of one size, recycled once the system
// has acknowledged them (both clients keep the slice until then).
type records struct {
	size int
	pool sync.Pool
}

func newRecords(size int) *records {
	r := &records{size: size}
	r.pool.New = func() any {
		b := make([]byte, size)
		for i := headerSize; i < size; i++ {
			b[i] = 'a' + byte(i%26)
		}
		return &b
	}
	return r
}

// get returns a value stamped with sent and seq.
func (r *records) get(sent time.Time, seq uint64) []byte {
	b := *r.pool.Get().(*[]byte)
	binary.BigEndian.PutUint64(b, uint64(sent.UnixNano()))
	binary.BigEndian.PutUint64(b[8:], seq)
	return b
}

// put recycles a value the system no longer holds.
func (r *records) put(b []byte) {
	if cap(b) == r.size {
		b = b[:r.size]
		r.pool.Put(&b)
	}
}

// stamp reads back a record's send time and sequence number; ok is false
// for a value too short to be the generator's.
func stamp(value []byte) (sent time.Time, seq uint64, ok bool) {
	if len(value) < headerSize {
		return time.Time{}, 0, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(value))), binary.BigEndian.Uint64(value[8:]), true
}
