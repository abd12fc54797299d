package storage

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// Entry is one log entry, shaped like a Raft entry.
type Entry struct {
	Index uint64
	Term  uint64
	Type  uint8
	Data  []byte
}

const (
	// recordHeader is len u32 | crc32c u32.
	recordHeader = 8
	// recordFixed is the fixed part of the body: index u64 | term u64 | type u8.
	recordFixed = 17
	// MaxEntryBytes bounds one entry's Data. It keeps a corrupt length
	// field from looking plausible and bounds what a reader allocates.
	MaxEntryBytes = 256 << 20
	maxBody       = recordFixed + MaxEntryBytes

	segmentMagic  = "TRIADLG1" // the format version is the last byte
	segmentHeader = len(segmentMagic)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Why a record failed to decode. errIncomplete means the bytes end inside
// the record: at the tail of a file, a torn write.
var (
	errIncomplete = errors.New("incomplete record")
	errBadLength  = errors.New("record length out of range")
	errChecksum   = errors.New("record checksum mismatch")
)

// recordSize is the encoded size of e.
func recordSize(e *Entry) int { return recordHeader + recordFixed + len(e.Data) }

// appendRecord encodes e onto b.
func appendRecord(b []byte, e *Entry) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(recordFixed+len(e.Data)))
	b = append(b, 0, 0, 0, 0) // crc, filled below
	b = binary.LittleEndian.AppendUint64(b, e.Index)
	b = binary.LittleEndian.AppendUint64(b, e.Term)
	b = append(b, e.Type)
	b = append(b, e.Data...)
	binary.LittleEndian.PutUint32(b[start+4:], recordCRC(b[start:start+4], b[start+recordHeader:]))
	return b
}

// recordCRC covers the length field too, so a corrupt length that happens
// to land on plausible bytes is still caught.
func recordCRC(lenField, body []byte) uint32 {
	return crc32.Update(crc32.Checksum(lenField, castagnoli), castagnoli, body)
}

// bodyLen validates the header's length field, given how many bytes remain
// in the file from the record's start.
func bodyLen(hdr []byte, remaining int64) (int, error) {
	if len(hdr) < recordHeader || remaining < recordHeader {
		return 0, errIncomplete
	}
	n := binary.LittleEndian.Uint32(hdr)
	if n < recordFixed || n > maxBody {
		return 0, errBadLength
	}
	if int64(n) > remaining-recordHeader {
		return 0, errIncomplete
	}
	return int(n), nil
}

// decodeRecord decodes the record at the start of b. The returned entry's
// Data aliases b. It never allocates: a length field larger than b is
// reported as errIncomplete before anything is read.
func decodeRecord(b []byte) (e Entry, size int, err error) {
	n, err := bodyLen(b, int64(len(b)))
	if err != nil {
		return Entry{}, 0, err
	}
	body := b[recordHeader : recordHeader+n]
	if binary.LittleEndian.Uint32(b[4:]) != recordCRC(b[:4], body) {
		return Entry{}, 0, errChecksum
	}
	e = Entry{
		Index: binary.LittleEndian.Uint64(body),
		Term:  binary.LittleEndian.Uint64(body[8:]),
		Type:  body[16],
		Data:  body[recordFixed:],
	}
	return e, recordHeader + n, nil
}
