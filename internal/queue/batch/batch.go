package batch

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Byte offsets of the v2 batch header fields (see doc.go).
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57

	// HeaderSize is the size of the v2 batch header; records follow it.
	HeaderSize = 61
	// LogOverhead is the part of the header that batchLength does not
	// count: baseOffset and batchLength themselves.
	LogOverhead = 12
	// minBatchLength is the smallest batchLength a v2 batch can declare.
	minBatchLength = HeaderSize - LogOverhead

	// Magic is the only batch format version Triad accepts.
	Magic = 2
)

// Attribute bits of a v2 batch.
const (
	codecMask           = 0x07
	attrLogAppendTime   = 0x08
	attrTransactional   = 0x10
	attrControl         = 0x20
	attrHasDeleteHorizn = 0x40
)

// NoProducerID, NoEpoch and NoSequence are what non-idempotent producers
// put in the producer fields.
const (
	NoProducerID = -1
	NoEpoch      = -1
	NoSequence   = -1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec is a batch's compression codec (attribute bits 0–2).
type Codec int8

// The codecs Kafka defines.
const (
	None Codec = iota
	Gzip
	Snappy
	LZ4
	Zstd
)

func (c Codec) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case Snappy:
		return "snappy"
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// Attributes is a batch's attributes field.
type Attributes int16

// Codec returns the compression codec.
func (a Attributes) Codec() Codec { return Codec(a & codecMask) }

// LogAppendTime reports whether the batch's timestamps are the broker's
// append time (the batch's maxTimestamp) rather than the producer's.
func (a Attributes) LogAppendTime() bool { return a&attrLogAppendTime != 0 }

// Transactional reports whether the batch belongs to a transaction.
func (a Attributes) Transactional() bool { return a&attrTransactional != 0 }

// Control reports whether the batch holds control records (transaction markers).
func (a Attributes) Control() bool { return a&attrControl != 0 }

// HasDeleteHorizon reports whether baseTimestamp holds the compaction
// delete horizon (KIP-534) instead of the first record's timestamp.
func (a Attributes) HasDeleteHorizon() bool { return a&attrHasDeleteHorizn != 0 }

// Header is a decoded v2 batch header.
type Header struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           Attributes
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	RecordCount          int32
}

// Batch is one v2 record batch: its decoded header and Raw, the whole batch
// from baseOffset to the end of its last record. Raw aliases the buffer the
// batch was parsed from; nothing is copied.
type Batch struct {
	Header
	Raw []byte
}

// Records returns the batch's record bytes, compressed if the codec says so.
func (b Batch) Records() []byte { return b.Raw[HeaderSize:] }

// LastOffset is the offset of the batch's last record.
func (b Batch) LastOffset() int64 { return b.BaseOffset + int64(b.LastOffsetDelta) }

// LastSequence is the producer sequence of the batch's last record, wrapping
// past math.MaxInt32 to 0 as Kafka's producers do.
func (b Batch) LastSequence() int32 {
	if b.BaseSequence == NoSequence {
		return NoSequence
	}
	return IncrementSequence(b.BaseSequence, b.LastOffsetDelta)
}

// IncrementSequence adds inc (>= 0) to seq (>= 0), wrapping past
// math.MaxInt32 to 0.
func IncrementSequence(seq, inc int32) int32 {
	const maxSeq = 1<<31 - 1
	if seq > maxSeq-inc {
		return inc - (maxSeq - seq) - 1
	}
	return seq + inc
}

// ComputeCRC returns the CRC32C a batch should carry: over attributes
// through the end of the batch.
func ComputeCRC(raw []byte) uint32 {
	return crc32.Checksum(raw[offAttributes:], castagnoli)
}

// ParseHeader decodes the header of the batch at the start of b and returns
// the batch (header and the Raw bytes it spans). It checks only what the
// layout needs: enough bytes, magic 2, a batchLength that fits, and a
// non-negative record count. It does not check the CRC (see Validate).
func ParseHeader(b []byte) (Batch, error) {
	if len(b) < LogOverhead+5 {
		return Batch{}, fmt.Errorf("%w: %d bytes, shorter than a batch header", ErrCorrupt, len(b))
	}
	length := int32(binary.BigEndian.Uint32(b[offBatchLength:]))
	if magic := int8(b[offMagic]); magic != Magic {
		if magic >= 0 && magic < Magic {
			return Batch{}, fmt.Errorf("%w: message format v%d: Triad accepts only v2 record batches, as Kafka 3+ clients send", ErrUnsupportedMagic, magic)
		}
		return Batch{}, fmt.Errorf("%w: unknown magic %d", ErrCorrupt, magic)
	}
	if length < minBatchLength {
		return Batch{}, fmt.Errorf("%w: batchLength %d below the v2 minimum %d", ErrCorrupt, length, minBatchLength)
	}
	if len(b) < HeaderSize {
		return Batch{}, fmt.Errorf("%w: %d bytes, shorter than a batch header", ErrCorrupt, len(b))
	}
	total := int64(length) + LogOverhead
	if int64(len(b)) < total {
		return Batch{}, fmt.Errorf("%w: batch truncated: batchLength %d needs %d bytes, %d present", ErrCorrupt, length, total, len(b))
	}
	raw := b[:total:total]
	h := Header{
		BaseOffset:           int64(binary.BigEndian.Uint64(raw[offBaseOffset:])),
		BatchLength:          length,
		PartitionLeaderEpoch: int32(binary.BigEndian.Uint32(raw[offLeaderEpoch:])),
		Magic:                int8(raw[offMagic]),
		CRC:                  binary.BigEndian.Uint32(raw[offCRC:]),
		Attributes:           Attributes(binary.BigEndian.Uint16(raw[offAttributes:])),
		LastOffsetDelta:      int32(binary.BigEndian.Uint32(raw[offLastOffsetDelta:])),
		BaseTimestamp:        int64(binary.BigEndian.Uint64(raw[offBaseTimestamp:])),
		MaxTimestamp:         int64(binary.BigEndian.Uint64(raw[offMaxTimestamp:])),
		ProducerID:           int64(binary.BigEndian.Uint64(raw[offProducerID:])),
		ProducerEpoch:        int16(binary.BigEndian.Uint16(raw[offProducerEpoch:])),
		BaseSequence:         int32(binary.BigEndian.Uint32(raw[offBaseSequence:])),
		RecordCount:          int32(binary.BigEndian.Uint32(raw[offRecordCount:])),
	}
	if h.RecordCount < 0 {
		return Batch{}, fmt.Errorf("%w: negative record count %d", ErrCorrupt, h.RecordCount)
	}
	if h.LastOffsetDelta < 0 {
		return Batch{}, fmt.Errorf("%w: negative lastOffsetDelta %d", ErrCorrupt, h.LastOffsetDelta)
	}
	return Batch{Header: h, Raw: raw}, nil
}

// Iterator walks the batches of a record set (batches back to back, as in a
// produce request, a fetch response or a log segment) checking their layout
// only. Use ParseBatches for data from clients.
type Iterator struct {
	rest []byte
	pos  int
	err  error
}

// NewIterator returns an iterator over the batches in set.
func NewIterator(set []byte) *Iterator { return &Iterator{rest: set} }

// Next returns the next batch, or false at the end of the set or on an
// error (see Err). A truncated trailing batch is an error.
func (it *Iterator) Next() (Batch, bool) {
	if it.err != nil || len(it.rest) == 0 {
		return Batch{}, false
	}
	b, err := ParseHeader(it.rest)
	if err != nil {
		it.err = fmt.Errorf("batch at byte %d: %w", it.pos, err)
		return Batch{}, false
	}
	it.rest = it.rest[len(b.Raw):]
	it.pos += len(b.Raw)
	return b, true
}

// Err returns the error that stopped the iteration, if any.
func (it *Iterator) Err() error { return it.err }

// Pos returns the byte position of the next batch in the set.
func (it *Iterator) Pos() int { return it.pos }

// SetBaseOffset stamps the batch at the start of raw with its base offset.
// baseOffset lies outside the CRC, so the CRC stays valid.
func SetBaseOffset(raw []byte, baseOffset int64) {
	binary.BigEndian.PutUint64(raw[offBaseOffset:], uint64(baseOffset))
}

// SetLeaderEpoch stamps the batch at the start of raw with the partition
// leader epoch (Triad: the partition's raft term). Outside the CRC.
func SetLeaderEpoch(raw []byte, epoch int32) {
	binary.BigEndian.PutUint32(raw[offLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime marks the batch at the start of raw as using log append
// time and sets its maxTimestamp to appendTime (ms), as a broker does for
// topics with message.timestamp.type=LogAppendTime. Both lie inside the CRC,
// which is recomputed. raw must span the whole batch.
func SetLogAppendTime(raw []byte, appendTime int64) {
	attrs := binary.BigEndian.Uint16(raw[offAttributes:]) | attrLogAppendTime
	binary.BigEndian.PutUint16(raw[offAttributes:], attrs)
	binary.BigEndian.PutUint64(raw[offMaxTimestamp:], uint64(appendTime))
	binary.BigEndian.PutUint32(raw[offCRC:], ComputeCRC(raw))
}
