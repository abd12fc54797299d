package batch

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func seedBatches(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, c := range allCodecs {
		seeds = append(seeds, buildBatch(f, c, sampleRecords(3), nil))
		seeds = append(seeds, buildBatch(f, c, sampleRecords(1), func(rb *kmsg.RecordBatch) {
			rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence = 5, 1, 10
		}))
	}
	two := append(bytes.Clone(seeds[0]), seeds[2]...)
	return append(seeds, two, seeds[0][:30], nil)
}

func FuzzParseBatches(f *testing.F) {
	for _, s := range seedBatches(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := ParseBatches(data, Limits{MaxBatchBytes: 1 << 16})
		if err != nil {
			return
		}
		total := 0
		for _, b := range bs {
			total += len(b.Raw)
			if ComputeCRC(b.Raw) != b.CRC || b.RecordCount <= 0 || b.LastOffsetDelta+1 != b.RecordCount {
				t.Fatalf("accepted an invalid batch: %+v", b.Header)
			}
			// Stamping keeps an accepted batch valid.
			raw := bytes.Clone(b.Raw)
			SetBaseOffset(raw, 77)
			SetLeaderEpoch(raw, 3)
			SetLogAppendTime(raw, 1234)
			if _, err := ParseBatches(raw, Limits{MaxBatchBytes: 1 << 16}); err != nil {
				t.Fatalf("stamped batch rejected: %v", err)
			}
			// Records of an accepted batch are safe to walk, decompressed or not.
			if recs, err := NewDecompressor(1<<20).Decompress(b.Attributes.Codec(), b.Records()); err == nil {
				it := NewRecordIterator(recs)
				for _, ok := it.Next(); ok; _, ok = it.Next() {
				}
			}
		}
		if total != len(data) {
			t.Fatalf("batches cover %d of %d bytes", total, len(data))
		}
	})
}

func FuzzRecords(f *testing.F) {
	f.Add([]byte{})
	recs := sampleRecords(4)
	raw := buildBatch(f, None, recs, nil)
	f.Add(raw[HeaderSize:])
	f.Add(AppendRecord(nil, Record{Key: nil, Value: []byte{}, Headers: []RecordHeader{{Key: "", Value: nil}}}))
	f.Add([]byte{0x02, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		it := NewRecordIterator(data)
		var out []byte
		for r, ok := it.Next(); ok; r, ok = it.Next() {
			out = AppendRecord(out, r)
		}
		if it.Err() != nil {
			return
		}
		// Re-encoding what parsed parses to the same records.
		it2 := NewRecordIterator(out)
		it = NewRecordIterator(data)
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			b, ok2 := it2.Next()
			if !ok2 || a.OffsetDelta != b.OffsetDelta || a.TimestampDelta != b.TimestampDelta ||
				!bytes.Equal(a.Key, b.Key) || (a.Key == nil) != (b.Key == nil) ||
				!bytes.Equal(a.Value, b.Value) || (a.Value == nil) != (b.Value == nil) || len(a.Headers) != len(b.Headers) {
				t.Fatalf("re-encoded record differs: %+v vs %+v (%v)", a, b, it2.Err())
			}
		}
	})
}

func FuzzDecompress(f *testing.F) {
	src := payload()
	for _, c := range allCodecs {
		out, err := Compress(c, src)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(int8(c), out)
		f.Add(int8(c), []byte{})
	}
	f.Add(int8(Snappy), CompressXerial(src))
	zeros, _ := Compress(Zstd, make([]byte, 1<<20))
	f.Add(int8(Zstd), zeros)
	const limit = 256 << 10
	d := NewDecompressor(limit)
	f.Fuzz(func(t *testing.T, codec int8, data []byte) {
		out, err := d.Decompress(Codec(codec), data)
		if err == nil && len(out) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
	})
}
