package batch

import (
	"encoding/binary"
	"fmt"
)

// Filter rewrites one batch keeping only the records keep accepts (given
// each record's absolute offset), as a compacting broker does: the base
// offset, last offset delta, timestamps, producer fields and attributes
// stay (so offsets after the batch still follow from it), the records
// keep their offset deltas, and the codec is kept (the records are
// decompressed and recompressed). It returns nil if every record is kept;
// a batch whose records all go stays as an empty batch (record count 0),
// as Kafka's cleaner leaves them (KAFKA-5443): clients advance past it by
// its last offset.
func Filter(b Batch, keep func(offset int64, r Record) bool) ([]byte, error) {
	raw, err := Decompress(b.Attributes.Codec(), b.Records())
	if err != nil {
		return nil, fmt.Errorf("batch: filter: %w", err)
	}
	var recs []byte
	n, dropped := 0, false
	it := NewRecordIterator(raw)
	for {
		r, ok := it.Next()
		if !ok {
			break
		}
		if !keep(b.BaseOffset+int64(r.OffsetDelta), r) {
			dropped = true
			continue
		}
		recs = AppendRecord(recs, r)
		n++
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("batch: filter: %w", err)
	}
	if !dropped {
		return nil, nil
	}
	body, err := Compress(b.Attributes.Codec(), recs)
	if err != nil {
		return nil, err
	}
	out := make([]byte, HeaderSize, HeaderSize+len(body))
	copy(out, b.Raw[:HeaderSize])
	out = append(out, body...)
	be := binary.BigEndian
	be.PutUint32(out[offBatchLength:], uint32(len(out)-LogOverhead))
	be.PutUint32(out[offRecordCount:], uint32(n))
	be.PutUint32(out[offCRC:], ComputeCRC(out))
	return out, nil
}
