package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var allCodecs = []Codec{None, Gzip, Snappy, LZ4, Zstd}

// testRecord is what buildBatch encodes.
type testRecord struct {
	key, value []byte
	headers    []kmsg.Header
}

// buildBatch encodes recs as one v2 batch with kmsg's types, compressed
// with franz-go's own compressor, as a kgo producer would.
func buildBatch(t testing.TB, codec Codec, recs []testRecord, mod func(*kmsg.RecordBatch)) []byte {
	t.Helper()
	var raw []byte
	for i, r := range recs {
		rec := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Key: r.key, Value: r.value, Headers: r.headers}
		body := rec.AppendTo(nil)[1:] // Length 0 encodes as one varint byte
		rec.Length = int32(len(body))
		raw = rec.AppendTo(raw)
	}
	if codec != None {
		comp, err := kgo.DefaultCompressor(kgoCodec(codec))
		if err != nil {
			t.Fatal(err)
		}
		out, used := comp.Compress(new(bytes.Buffer), raw)
		if used != kgoCodecType(codec) {
			t.Fatalf("kgo compressed with %v, want %v", used, codec)
		}
		raw = append([]byte(nil), out...)
	}
	rb := kmsg.RecordBatch{
		FirstOffset:     0,
		Magic:           2,
		Attributes:      int16(codec),
		LastOffsetDelta: int32(len(recs) - 1),
		FirstTimestamp:  1_700_000_000_000,
		MaxTimestamp:    1_700_000_000_000 + int64(max(len(recs)-1, 0)),
		ProducerID:      -1,
		ProducerEpoch:   -1,
		FirstSequence:   -1,
		NumRecords:      int32(len(recs)),
		Records:         raw,
	}
	if mod != nil {
		mod(&rb)
	}
	return encodeBatch(rb)
}

// encodeBatch sets Length and CRC as a producer does and encodes rb.
func encodeBatch(rb kmsg.RecordBatch) []byte {
	rb.Length = int32(HeaderSize - LogOverhead + len(rb.Records))
	b := rb.AppendTo(nil)
	rb.CRC = int32(crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return rb.AppendTo(nil)
}

func kgoCodec(c Codec) kgo.CompressionCodec {
	switch c {
	case Gzip:
		return kgo.GzipCompression()
	case Snappy:
		return kgo.SnappyCompression()
	case LZ4:
		return kgo.Lz4Compression()
	case Zstd:
		return kgo.ZstdCompression()
	}
	return kgo.NoCompression()
}

func kgoCodecType(c Codec) kgo.CompressionCodecType { return kgo.CompressionCodecType(c) }

func sampleRecords(n int) []testRecord {
	recs := make([]testRecord, n)
	for i := range recs {
		recs[i] = testRecord{
			key:   fmt.Appendf(nil, "key-%d", i%3),
			value: bytes.Repeat(fmt.Appendf(nil, "value %d ", i), 20),
		}
		if i%2 == 0 {
			recs[i].headers = []kmsg.Header{{Key: "h", Value: []byte("v")}, {Key: "null", Value: nil}}
		}
	}
	recs[n-1].value = nil // a tombstone
	return recs
}

func TestParseHeaderFields(t *testing.T) {
	raw := buildBatch(t, Zstd, sampleRecords(4), func(rb *kmsg.RecordBatch) {
		rb.PartitionLeaderEpoch = 7
		rb.Attributes |= 0x10
		rb.ProducerID, rb.ProducerEpoch, rb.FirstSequence = 1000, 3, 42
	})
	b, err := ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Raw) != len(raw) || int(b.BatchLength) != len(raw)-LogOverhead {
		t.Fatalf("raw %d bytes, batchLength %d, input %d", len(b.Raw), b.BatchLength, len(raw))
	}
	if b.Magic != 2 || b.PartitionLeaderEpoch != 7 || b.Attributes.Codec() != Zstd || !b.Attributes.Transactional() ||
		b.Attributes.Control() || b.Attributes.LogAppendTime() || b.ProducerID != 1000 || b.ProducerEpoch != 3 ||
		b.BaseSequence != 42 || b.RecordCount != 4 || b.LastOffsetDelta != 3 || b.LastSequence() != 45 ||
		b.BaseTimestamp != 1_700_000_000_000 || b.MaxTimestamp != 1_700_000_000_003 {
		t.Fatalf("header %+v", b.Header)
	}
	if b.CRC != ComputeCRC(raw) {
		t.Fatalf("crc %x, computed %x", b.CRC, ComputeCRC(raw))
	}
	if &b.Records()[0] != &raw[HeaderSize] {
		t.Fatal("Records copies instead of aliasing the input")
	}
}

func TestIncrementSequenceWraps(t *testing.T) {
	for _, c := range []struct{ seq, inc, want int32 }{
		{0, 0, 0}, {5, 4, 9}, {1<<31 - 1, 0, 1<<31 - 1}, {1<<31 - 1, 1, 0}, {1<<31 - 3, 4, 1}, {1<<31 - 5, 4, 1<<31 - 1},
	} {
		if got := IncrementSequence(c.seq, c.inc); got != c.want {
			t.Errorf("IncrementSequence(%d, %d) = %d, want %d", c.seq, c.inc, got, c.want)
		}
	}
}

func TestIteratorSeveralBatches(t *testing.T) {
	var set []byte
	for i, c := range allCodecs {
		set = append(set, buildBatch(t, c, sampleRecords(i+1), nil)...)
	}
	it := NewIterator(set)
	n := 0
	for b, ok := it.Next(); ok; b, ok = it.Next() {
		if b.Attributes.Codec() != allCodecs[n] || int(b.RecordCount) != n+1 {
			t.Fatalf("batch %d: codec %v, %d records", n, b.Attributes.Codec(), b.RecordCount)
		}
		n++
	}
	if it.Err() != nil || n != len(allCodecs) || it.Pos() != len(set) {
		t.Fatalf("err %v, %d batches, pos %d of %d", it.Err(), n, it.Pos(), len(set))
	}

	it = NewIterator(set[:len(set)-1])
	for _, ok := it.Next(); ok; _, ok = it.Next() {
	}
	if !errors.Is(it.Err(), ErrCorrupt) {
		t.Fatalf("truncated trailing batch: %v, want ErrCorrupt", it.Err())
	}
}

func TestParseHeaderRejects(t *testing.T) {
	good := buildBatch(t, None, sampleRecords(2), nil)
	mutate := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"short", good[:20], ErrCorrupt},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"magic 1", mutate(func(b []byte) { b[16] = 1 }), ErrUnsupportedMagic},
		{"magic 0", mutate(func(b []byte) { b[16] = 0 }), ErrInvalidRecord},
		{"magic 3", mutate(func(b []byte) { b[16] = 3 }), ErrCorrupt},
		{"tiny length", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[8:], 48) }), ErrCorrupt},
		{"negative length", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[8:], 0xffffffff) }), ErrCorrupt},
		{"negative count", mutate(func(b []byte) { binary.BigEndian.PutUint32(b[57:], 0xffffffff) }), ErrCorrupt},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHeader(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

func TestStamping(t *testing.T) {
	raw := buildBatch(t, LZ4, sampleRecords(3), nil)
	SetBaseOffset(raw, 123456789)
	SetLeaderEpoch(raw, 9)
	b, err := ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if b.BaseOffset != 123456789 || b.PartitionLeaderEpoch != 9 || b.LastOffset() != 123456791 {
		t.Fatalf("header %+v", b.Header)
	}
	if err := Validate(b, Limits{}); err != nil {
		t.Fatalf("base offset and leader epoch lie outside the CRC: %v", err)
	}

	SetLogAppendTime(raw, 1_800_000_000_000)
	b, _ = ParseHeader(raw)
	if !b.Attributes.LogAppendTime() || b.MaxTimestamp != 1_800_000_000_000 || b.Attributes.Codec() != LZ4 {
		t.Fatalf("header %+v", b.Header)
	}
	if err := Validate(b, Limits{}); err != nil {
		t.Fatalf("CRC not recomputed after setting LogAppendTime: %v", err)
	}
	// kmsg agrees on what we wrote.
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(raw); err != nil {
		t.Fatal(err)
	}
	if rb.FirstOffset != 123456789 || rb.PartitionLeaderEpoch != 9 || rb.MaxTimestamp != 1_800_000_000_000 || uint32(rb.CRC) != ComputeCRC(raw) {
		t.Fatalf("kmsg reads %+v", rb)
	}
}

func TestBuild(t *testing.T) {
	recs := []Record{
		{OffsetDelta: 0, Key: []byte("k0"), Value: []byte("v0")},
		{OffsetDelta: 1, TimestampDelta: 5, Key: []byte("k1"), Value: nil},
	}
	raw := Build(recs, 1000)
	bs, err := ParseBatches(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b := bs[0]
	if b.RecordCount != 2 || b.BaseTimestamp != 1000 || b.MaxTimestamp != 1005 || b.ProducerID != NoProducerID {
		t.Fatalf("header %+v", b.Header)
	}
	it := NewRecordIterator(b.Records())
	r0, _ := it.Next()
	r1, ok := it.Next()
	if !ok || string(r0.Key) != "k0" || r1.Value != nil || r1.OffsetDelta != 1 {
		t.Fatalf("records %+v %+v", r0, r1)
	}
}

func TestFilterKeepsOffsets(t *testing.T) {
	for _, c := range allCodecs {
		recs := []testRecord{{key: []byte("a"), value: []byte("1")}, {key: []byte("b"), value: []byte("2")}, {key: []byte("a"), value: []byte("3")}}
		raw := buildBatch(t, c, recs, func(rb *kmsg.RecordBatch) { rb.FirstOffset = 10 })
		b, err := ParseHeader(raw)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Filter(b, func(off int64, r Record) bool { return off != 10 })
		if err != nil {
			t.Fatal(err)
		}
		// A compacted batch keeps its last offset delta with fewer records,
		// which clients accept from a broker (not from a producer).
		nb, err := ParseHeader(out)
		if err != nil || ComputeCRC(out) != nb.CRC {
			t.Fatalf("%v: filtered batch invalid: %v", c, err)
		}
		if nb.BaseOffset != 10 || nb.LastOffsetDelta != 2 || nb.RecordCount != 2 || nb.Attributes.Codec() != c {
			t.Fatalf("%v: header %+v", c, nb.Header)
		}
		if err := CheckRecords(NewDecompressor(1<<20), nb, false); err == nil {
			t.Fatalf("%v: CheckRecords accepted a gap in offset deltas", c)
		}
		all, err := Filter(b, func(int64, Record) bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		if eb, err := ParseHeader(all); err != nil || eb.RecordCount != 0 || eb.LastOffsetDelta != 2 || ComputeCRC(all) != eb.CRC {
			t.Fatalf("%v: empty batch %+v %v", c, eb.Header, err)
		}
		if same, _ := Filter(b, func(int64, Record) bool { return true }); same != nil {
			t.Fatalf("%v: nothing dropped but the batch was rewritten", c)
		}
	}
}
