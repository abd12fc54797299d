// Package batch reads, checks and stamps Kafka record batches (message
// format v2, "magic 2"), the unit a queue partition stores: batches are
// kept exactly as a producer sent them, so this package never re-encodes
// one on the produce or fetch path. Everything here is a pure function of
// its input bytes, which is what lets every replica of a partition reach
// the same verdict on a batch (ARCHITECTURE.md, decision 4).
//
// # Batch format (all integers big-endian)
//
//	offset size field
//	     0    8 baseOffset            set by the broker          ┐ outside
//	     8    4 batchLength           bytes after this field     │ the CRC
//	    12    4 partitionLeaderEpoch  set by the broker          │
//	    16    1 magic                 2                          │
//	    17    4 crc                   CRC32C of bytes 21..end    ┘
//	    21    2 attributes            bits 0-2 codec (0 none, 1 gzip, 2 snappy,
//	                                  3 lz4, 4 zstd), bit 3 timestamp type
//	                                  (1 = LogAppendTime), bit 4 transactional,
//	                                  bit 5 control, bit 6 delete horizon set
//	    23    4 lastOffsetDelta
//	    27    8 baseTimestamp
//	    35    8 maxTimestamp          set by the broker for LogAppendTime
//	    43    8 producerId            -1 if not idempotent
//	    51    2 producerEpoch
//	    53    4 baseSequence
//	    57    4 recordCount
//	    61      records               compressed as a whole by the codec
//
// Each record is: length (zigzag varint, bytes that follow), attributes
// (int8, unused), timestampDelta (varlong), offsetDelta (varint), key length
// (varint, -1 = null) and key, value length and value, header count
// (varint) and headers (key length, never null, and key; value length,
// -1 = null, and value). A record set is batches back to back.
//
// Stamping: the broker writes baseOffset and partitionLeaderEpoch into the
// stored header (SetBaseOffset, SetLeaderEpoch); both lie outside the CRC,
// so the producer's CRC stays valid and the batch is stored as received.
// For LogAppendTime topics SetLogAppendTime sets the timestamp-type bit and
// maxTimestamp, which lie inside the CRC, and recomputes it.
//
// # What Triad checks on produce (ParseBatches / Validate)
//
//   - layout: every batch complete (a truncated trailing batch is an
//     error, not silently dropped), batchLength >= 49, recordCount >= 0
//     and lastOffsetDelta >= 0 (ErrCorrupt → CORRUPT_MESSAGE);
//   - magic 2 only: v0/v1 message sets are refused (ErrUnsupportedMagic →
//     INVALID_RECORD) since every Kafka 3+ client, franz-go, sarama,
//     segmentio/kafka-go and librdkafka write v2;
//   - size: a batch over max.message.bytes (ErrMessageTooLarge →
//     MESSAGE_TOO_LARGE), a set over Limits.MaxSetBytes
//     (ErrRecordListTooLarge → RECORD_LIST_TOO_LARGE);
//   - the CRC32C (ErrCorrupt);
//   - codec ids 5–7 (ErrUnsupportedCompression → UNSUPPORTED_COMPRESSION_TYPE);
//   - as Kafka's LogValidator does for client batches (ErrInvalidRecord →
//     INVALID_RECORD): recordCount > 0 and equal to lastOffsetDelta+1 (for
//     every codec, it is header-only), no control batches, a producer id
//     implies a sequence >= 0, a transactional batch has a producer id;
//   - uncompressed batches only: the records parse, fill the batch exactly,
//     number recordCount, carry offset deltas 0..n-1, and, with
//     Limits.RequireKeys (compacted topics), have keys.
//
// Compressed batches pass through undecompressed: their records are not
// checked on produce, which keeps produce cost independent of the codec.
// The trade-off, against Kafka (which decompresses to validate), is that a
// producer could store a compressed batch whose inner records are malformed
// or disagree with recordCount; consumers see the error, the partition's
// offsets stay consistent because they come from the header alone.
// CheckRecords performs the deep check at the cost of decompressing;
// compaction uses the record iterator and therefore decompresses anyway.
//
// Not checked (left to callers): timestamps against
// message.timestamp.{before,after}.max.ms, zstd in produce requests older
// than v7 (UNSUPPORTED_COMPRESSION_TYPE), transactional semantics.
//
// # Compression
//
// Decompress handles gzip (multi-member), snappy (raw blocks as franz-go
// and librdkafka send, and the xerial framing of the Java client), lz4
// (frame format) and zstd. Output is bounded by the Decompressor's limit
// (DefaultDecompressLimit for the package function): snappy blocks declare
// their size and are checked before allocating, zstd frames are bounded by
// the decoder's memory limit, gzip and lz4 are read through a limit. A
// larger output fails with ErrDecompressLimit and never allocates more than
// about the limit. Compress exists for tests and compaction.
package batch
