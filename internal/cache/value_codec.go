package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The value encoding, shared by snapshots and DUMP/RESTORE:
//
//	kind u8 | payload
//
// A string's payload is its bytes; an aggregate's is what its AppendBinary
// writes, read back by the decoder registered for its kind. DUMP adds a
// trailer: format version u16 LE | CRC32C (Castagnoli) u32 LE of everything
// before it.

var errBadValue = errors.New("cache: malformed value encoding")

// decoders turn an aggregate payload back into a value, per kind. Each data
// type's file registers its decoder in an init function.
var decoders = map[Kind]func(b []byte) (Aggregate, error){}

func appendValue(b []byte, e *entry) []byte {
	b = append(b, byte(e.kind))
	if e.kind == KindString {
		return append(b, e.str...)
	}
	return e.obj.AppendBinary(b)
}

func decodeValue(b []byte) (*entry, error) {
	if len(b) < 1 {
		return nil, errBadValue
	}
	k := Kind(b[0])
	if k == KindString {
		return &entry{kind: KindString, str: append([]byte(nil), b[1:]...)}, nil
	}
	dec := decoders[k]
	if dec == nil {
		return nil, fmt.Errorf("%w: kind %d", errBadValue, k)
	}
	obj, err := dec(b[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadValue, err)
	}
	return &entry{kind: k, obj: obj}, nil
}

const dumpVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// dumpPayload is DUMP's serialization of e.
func dumpPayload(e *entry) []byte {
	b := appendValue(nil, e)
	b = binary.LittleEndian.AppendUint16(b, dumpVersion)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// undumpPayload checks and decodes a DUMP payload.
func undumpPayload(b []byte) (*entry, bool) {
	if len(b) < 7 {
		return nil, false
	}
	body, trailer := b[:len(b)-4], b[len(b)-4:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(trailer) {
		return nil, false
	}
	if binary.LittleEndian.Uint16(body[len(body)-2:]) != dumpVersion {
		return nil, false
	}
	e, err := decodeValue(body[:len(body)-2])
	return e, err == nil
}

// Helpers for aggregate codecs.

// AppendBytes appends a length-prefixed byte string.
func AppendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// AppendString appends a length-prefixed string.
func AppendString(b []byte, v string) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// Decoder reads what the Append helpers wrote; the first error sticks.
type Decoder struct {
	B   []byte
	Err error
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Err = errBadValue
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Bytes reads a length-prefixed byte string (a copy).
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if d.Err != nil {
		return nil
	}
	if n > uint64(len(d.B)) {
		d.Err = errBadValue
		return nil
	}
	v := append([]byte(nil), d.B[:n]...)
	d.B = d.B[n:]
	return v
}

// String reads a length-prefixed string.
func (d *Decoder) String() string {
	n := d.Uvarint()
	if d.Err != nil {
		return ""
	}
	if n > uint64(len(d.B)) {
		d.Err = errBadValue
		return ""
	}
	v := string(d.B[:n])
	d.B = d.B[n:]
	return v
}

// Uint64 reads 8 bytes little-endian.
func (d *Decoder) Uint64() uint64 {
	if d.Err != nil {
		return 0
	}
	if len(d.B) < 8 {
		d.Err = errBadValue
		return 0
	}
	v := binary.LittleEndian.Uint64(d.B)
	d.B = d.B[8:]
	return v
}

// Count reads an element count, refusing counts the input cannot hold
// (each element takes at least min bytes), so corrupt input cannot make the
// decoder allocate without bound.
func (d *Decoder) Count(min int) int {
	n := d.Uvarint()
	if d.Err == nil && n > uint64(len(d.B)/max(min, 1)) {
		d.Err = errBadValue
		return 0
	}
	return int(n)
}
