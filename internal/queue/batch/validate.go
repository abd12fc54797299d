package batch

import (
	"errors"
	"fmt"
)

// Errors, each named for the Kafka error code the front-end maps it to.
var (
	// ErrCorrupt: CORRUPT_MESSAGE (2). Bad CRC, truncated or malformed bytes.
	ErrCorrupt = errors.New("batch: corrupt message")
	// ErrInvalidRecord: INVALID_RECORD (87). Well-formed bytes that break a
	// rule for what clients may write.
	ErrInvalidRecord = errors.New("batch: invalid record")
	// ErrUnsupportedMagic: INVALID_RECORD (87), as Kafka answers produce v3+
	// requests holding v0/v1 message sets. It wraps ErrInvalidRecord.
	ErrUnsupportedMagic = fmt.Errorf("%w: unsupported message format", ErrInvalidRecord)
	// ErrMessageTooLarge: MESSAGE_TOO_LARGE (10). A batch over max.message.bytes.
	ErrMessageTooLarge = errors.New("batch: message too large")
	// ErrRecordListTooLarge: RECORD_LIST_TOO_LARGE (18). A record set over
	// the limit for one append (segment.bytes in Kafka).
	ErrRecordListTooLarge = errors.New("batch: record list too large")
	// ErrUnsupportedCompression: UNSUPPORTED_COMPRESSION_TYPE (76). Codec
	// bits 5–7, which Kafka does not define.
	ErrUnsupportedCompression = errors.New("batch: unsupported compression type")
)

// DefaultMaxMessageBytes is Kafka's default max.message.bytes.
const DefaultMaxMessageBytes = 1048588

// Limits bounds what ParseBatches accepts from a client.
type Limits struct {
	// MaxBatchBytes is the topic's max.message.bytes: the largest batch,
	// header included. 0 means DefaultMaxMessageBytes.
	MaxBatchBytes int
	// MaxSetBytes bounds the whole record set of one partition in one
	// request (RECORD_LIST_TOO_LARGE). 0 means no bound beyond the
	// request size the front-end already enforces.
	MaxSetBytes int
	// MaxBatches, if positive, is the most batches a set may hold. Kafka
	// requires exactly one batch per partition in produce v3+ requests
	// (set 1 to match); 0 accepts any number.
	MaxBatches int
	// RequireKeys rejects records without a key, as Kafka does for
	// cleanup.policy=compact topics. Checked here for uncompressed batches
	// only; see CheckRecords.
	RequireKeys bool
}

func (l Limits) maxBatch() int {
	if l.MaxBatchBytes <= 0 {
		return DefaultMaxMessageBytes
	}
	return l.MaxBatchBytes
}

// ParseBatches parses and validates the record set of one partition of a
// produce request. It returns the batches (aliasing set) or the first
// problem found; a set is accepted or rejected whole, as Kafka does. The
// result is a pure function of set and lim, so every replica reaches the
// same verdict.
func ParseBatches(set []byte, lim Limits) ([]Batch, error) {
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: empty record set", ErrInvalidRecord)
	}
	if lim.MaxSetBytes > 0 && len(set) > lim.MaxSetBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordListTooLarge, len(set), lim.MaxSetBytes)
	}
	var out []Batch
	it := NewIterator(set)
	for {
		pos := it.Pos()
		b, ok := it.Next()
		if !ok {
			break
		}
		if lim.MaxBatches > 0 && len(out) == lim.MaxBatches {
			return nil, fmt.Errorf("%w: more than %d batches in one record set", ErrInvalidRecord, lim.MaxBatches)
		}
		if err := Validate(b, lim); err != nil {
			return nil, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		out = append(out, b)
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Validate checks one parsed batch as a broker checks a batch from a
// client: size, CRC, codec, header consistency and, for uncompressed
// batches, the records themselves. Compressed records are not
// decompressed (see doc.go); CheckRecords does that when a caller needs it.
func Validate(b Batch, lim Limits) error {
	if max := lim.maxBatch(); len(b.Raw) > max {
		return fmt.Errorf("%w: batch of %d bytes, max.message.bytes %d", ErrMessageTooLarge, len(b.Raw), max)
	}
	if got := ComputeCRC(b.Raw); got != b.CRC {
		return fmt.Errorf("%w: crc %#08x, computed %#08x", ErrCorrupt, b.CRC, got)
	}
	if c := b.Attributes.Codec(); c > Zstd {
		return fmt.Errorf("%w: codec id %d", ErrUnsupportedCompression, c)
	}
	if b.RecordCount <= 0 {
		return fmt.Errorf("%w: record count %d", ErrInvalidRecord, b.RecordCount)
	}
	if int64(b.LastOffsetDelta)+1 != int64(b.RecordCount) {
		return fmt.Errorf("%w: lastOffsetDelta %d inconsistent with record count %d", ErrInvalidRecord, b.LastOffsetDelta, b.RecordCount)
	}
	if b.Attributes.Control() {
		return fmt.Errorf("%w: clients may not write control batches", ErrInvalidRecord)
	}
	if b.ProducerID >= 0 && b.BaseSequence < 0 {
		return fmt.Errorf("%w: sequence %d with producer id %d", ErrInvalidRecord, b.BaseSequence, b.ProducerID)
	}
	if b.Attributes.Transactional() && b.ProducerID < 0 {
		return fmt.Errorf("%w: transactional batch without a producer id", ErrInvalidRecord)
	}
	if b.Attributes.Codec() == None {
		return checkRecords(b.Records(), b.RecordCount, lim.RequireKeys)
	}
	return nil
}

// CheckRecords decompresses b's records (bounded by d's limit) and checks
// that they parse and that there are exactly RecordCount of them with
// offset deltas 0, 1, 2…; for compacted topics it also requires keys. It is
// what a broker that rewrites nothing can check of a compressed batch, at
// the price of decompressing it.
func CheckRecords(d *Decompressor, b Batch, requireKeys bool) error {
	recs, err := d.Decompress(b.Attributes.Codec(), b.Records())
	if err != nil {
		return err
	}
	return checkRecords(recs, b.RecordCount, requireKeys)
}

func checkRecords(recs []byte, count int32, requireKeys bool) error {
	it := NewRecordIterator(recs)
	var n int32
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		if n == count {
			return fmt.Errorf("%w: more records than the declared count %d", ErrInvalidRecord, count)
		}
		if r.OffsetDelta != n {
			return fmt.Errorf("%w: record %d has offset delta %d", ErrInvalidRecord, n, r.OffsetDelta)
		}
		if requireKeys && r.Key == nil {
			return fmt.Errorf("%w: record %d has no key, which a compacted topic requires", ErrInvalidRecord, n)
		}
		n++
	}
	if err := it.Err(); err != nil {
		return err
	}
	if n != count {
		return fmt.Errorf("%w: %d records, declared %d", ErrInvalidRecord, n, count)
	}
	return nil
}
