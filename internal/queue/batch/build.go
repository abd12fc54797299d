package batch

import "encoding/binary"

// Build encodes records as one uncompressed v2 batch at base offset 0,
// with no producer id, the first record's timestamp firstTimestamp and
// each record's TimestampDelta and OffsetDelta as given (deltas 0, 1, 2…
// for a well-formed batch). The broker uses it for the records it writes
// itself (the consumer offsets topic).
func Build(recs []Record, firstTimestamp int64) []byte {
	b := make([]byte, HeaderSize, HeaderSize+32*len(recs))
	var maxDelta int64
	for _, r := range recs {
		b = AppendRecord(b, r)
		maxDelta = max(maxDelta, r.TimestampDelta)
	}
	be := binary.BigEndian
	be.PutUint64(b[offBaseOffset:], 0)
	be.PutUint32(b[offBatchLength:], uint32(len(b)-LogOverhead))
	be.PutUint32(b[offLeaderEpoch:], 0xffffffff) // -1
	b[offMagic] = Magic
	be.PutUint16(b[offAttributes:], 0)
	be.PutUint32(b[offLastOffsetDelta:], uint32(max(len(recs)-1, 0)))
	be.PutUint64(b[offBaseTimestamp:], uint64(firstTimestamp))
	be.PutUint64(b[offMaxTimestamp:], uint64(firstTimestamp+maxDelta))
	be.PutUint64(b[offProducerID:], 0xffffffffffffffff) // NoProducerID
	be.PutUint16(b[offProducerEpoch:], 0xffff)          // NoEpoch
	be.PutUint32(b[offBaseSequence:], 0xffffffff)       // NoSequence
	be.PutUint32(b[offRecordCount:], uint32(len(recs)))
	be.PutUint32(b[offCRC:], ComputeCRC(b))
	return b
}
