package batch

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Record is one record of a v2 batch. Key, Value and header fields alias
// the decompressed record bytes; nil means null (length -1), as opposed to
// an empty slice (length 0).
type Record struct {
	Attributes     int8
	TimestampDelta int64
	OffsetDelta    int32
	Key            []byte
	Value          []byte
	Headers        []RecordHeader
}

// RecordHeader is one record header: a non-null key and a nullable value.
type RecordHeader struct {
	Key   string
	Value []byte
}

// RecordIterator walks the records of a batch's (decompressed) record
// bytes. Every length is checked against what remains, so arbitrary bytes
// cannot make it read out of bounds or allocate more than the input size.
type RecordIterator struct {
	rest []byte
	n    int
	err  error
}

// NewRecordIterator returns an iterator over recs, the records of one
// batch after decompression.
func NewRecordIterator(recs []byte) *RecordIterator { return &RecordIterator{rest: recs} }

// Next returns the next record, or false at the end or on an error (Err).
func (it *RecordIterator) Next() (Record, bool) {
	if it.err != nil || len(it.rest) == 0 {
		return Record{}, false
	}
	r, rest, err := parseRecord(it.rest)
	if err != nil {
		it.err = fmt.Errorf("%w: record %d: %w", ErrCorrupt, it.n, err)
		return Record{}, false
	}
	it.rest = rest
	it.n++
	return r, true
}

// Err returns the error that stopped the iteration, if any.
func (it *RecordIterator) Err() error { return it.err }

// errRecord is wrapped with ErrCorrupt by the iterator; its text says what.
type errRecord string

func (e errRecord) Error() string { return string(e) }

func parseRecord(b []byte) (Record, []byte, error) {
	length, b, err := varint32(b)
	if err != nil {
		return Record{}, nil, err
	}
	if length < 0 || int(length) > len(b) {
		return Record{}, nil, fmt.Errorf("record length %d with %d bytes left", length, len(b))
	}
	body, rest := b[:length], b[length:]
	var r Record
	if len(body) < 1 {
		return Record{}, nil, errRecord("record too short for its attributes")
	}
	r.Attributes = int8(body[0])
	body = body[1:]
	if r.TimestampDelta, body, err = varint64(body); err != nil {
		return Record{}, nil, err
	}
	if r.OffsetDelta, body, err = varint32(body); err != nil {
		return Record{}, nil, err
	}
	if r.Key, body, err = nullableBytes(body); err != nil {
		return Record{}, nil, fmt.Errorf("key: %w", err)
	}
	if r.Value, body, err = nullableBytes(body); err != nil {
		return Record{}, nil, fmt.Errorf("value: %w", err)
	}
	nh, body, err := varint32(body)
	if err != nil {
		return Record{}, nil, err
	}
	if nh < 0 {
		return Record{}, nil, fmt.Errorf("negative header count %d", nh)
	}
	// Each header takes at least two bytes, so this bound keeps a lying
	// count from allocating beyond the input's size.
	if int(nh) > len(body)/2 {
		return Record{}, nil, fmt.Errorf("header count %d with %d bytes left", nh, len(body))
	}
	if nh > 0 {
		r.Headers = make([]RecordHeader, nh)
	}
	for i := range r.Headers {
		var k []byte
		if k, body, err = nullableBytes(body); err != nil {
			return Record{}, nil, fmt.Errorf("header %d key: %w", i, err)
		}
		if k == nil {
			return Record{}, nil, fmt.Errorf("header %d has a null key", i)
		}
		r.Headers[i].Key = string(k)
		if r.Headers[i].Value, body, err = nullableBytes(body); err != nil {
			return Record{}, nil, fmt.Errorf("header %d value: %w", i, err)
		}
	}
	if len(body) != 0 {
		return Record{}, nil, fmt.Errorf("%d bytes left over inside record of length %d", len(body), length)
	}
	return r, rest, nil
}

func varint64(b []byte) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, errRecord("bad varint")
	}
	return v, b[n:], nil
}

func varint32(b []byte) (int32, []byte, error) {
	v, rest, err := varint64(b)
	if err != nil {
		return 0, nil, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, nil, fmt.Errorf("varint %d overflows int32", v)
	}
	return int32(v), rest, nil
}

// nullableBytes reads a varint length (-1 for null) and that many bytes.
func nullableBytes(b []byte) ([]byte, []byte, error) {
	n, b, err := varint32(b)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case n == -1:
		return nil, b, nil
	case n < 0 || int(n) > len(b):
		return nil, nil, fmt.Errorf("length %d with %d bytes left", n, len(b))
	}
	return b[:n:n], b[n:], nil
}

// AppendRecord appends r in the v2 record encoding (used by tests and by
// compaction when it rewrites a batch).
func AppendRecord(dst []byte, r Record) []byte {
	body := make([]byte, 0, 16+len(r.Key)+len(r.Value))
	body = append(body, byte(r.Attributes))
	body = binary.AppendVarint(body, r.TimestampDelta)
	body = binary.AppendVarint(body, int64(r.OffsetDelta))
	body = appendNullable(body, r.Key)
	body = appendNullable(body, r.Value)
	body = binary.AppendVarint(body, int64(len(r.Headers)))
	for _, h := range r.Headers {
		body = binary.AppendVarint(body, int64(len(h.Key)))
		body = append(body, h.Key...)
		body = appendNullable(body, h.Value)
	}
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...)
}

func appendNullable(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
