package batch

import (
	"bytes"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestParseBatchesRoundTripEveryCodec(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			want := sampleRecords(10)
			raw := buildBatch(t, c, want, nil)
			bs, err := ParseBatches(raw, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != 1 || bs[0].Attributes.Codec() != c || bs[0].RecordCount != 10 {
				t.Fatalf("batches %+v", bs)
			}
			recs, err := Decompress(c, bs[0].Records())
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckRecords(NewDecompressor(0), bs[0], false); err != nil {
				t.Fatal(err)
			}
			checkRecordsEqual(t, recs, want)
		})
	}
}

func checkRecordsEqual(t *testing.T, recs []byte, want []testRecord) {
	t.Helper()
	it := NewRecordIterator(recs)
	i := 0
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		w := want[i]
		if r.OffsetDelta != int32(i) || r.TimestampDelta != int64(i) || !bytes.Equal(r.Key, w.key) ||
			!bytes.Equal(r.Value, w.value) || (r.Value == nil) != (w.value == nil) || len(r.Headers) != len(w.headers) {
			t.Fatalf("record %d: %+v, want %+v", i, r, w)
		}
		for j, h := range r.Headers {
			if h.Key != w.headers[j].Key || !bytes.Equal(h.Value, w.headers[j].Value) || (h.Value == nil) != (w.headers[j].Value == nil) {
				t.Fatalf("record %d header %d: %+v, want %+v", i, j, h, w.headers[j])
			}
		}
		i++
	}
	if it.Err() != nil || i != len(want) {
		t.Fatalf("err %v after %d of %d records", it.Err(), i, len(want))
	}
}

// Every byte of the CRC range (attributes to the end) is covered: flipping
// any one is rejected, while flips in baseOffset, which the broker stamps,
// are not.
func TestFlippedBytes(t *testing.T) {
	for _, c := range allCodecs {
		good := buildBatch(t, c, sampleRecords(3), nil)
		for i := range good {
			bad := bytes.Clone(good)
			bad[i] ^= 0x01
			_, err := ParseBatches(bad, Limits{})
			switch {
			case i < 8: // baseOffset
				if err != nil {
					t.Fatalf("%v: flip in baseOffset byte %d rejected: %v", c, i, err)
				}
			case i >= 12 && i < 16: // partitionLeaderEpoch
				if err != nil {
					t.Fatalf("%v: flip in leader epoch byte %d rejected: %v", c, i, err)
				}
			case i >= offAttributes:
				// The CRC is checked before the fields it covers.
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%v: flip at byte %d inside the CRC range: %v, want ErrCorrupt", c, i, err)
				}
			default:
				if err == nil {
					t.Fatalf("%v: flip at byte %d (length, magic, crc) accepted", c, i)
				}
			}
		}
	}
}

func TestValidateRejects(t *testing.T) {
	recs := sampleRecords(3)
	for _, c := range []struct {
		name string
		mod  func(*kmsg.RecordBatch)
		lim  Limits
		want error
	}{
		{"too large", nil, Limits{MaxBatchBytes: 100}, ErrMessageTooLarge},
		{"set too large", nil, Limits{MaxSetBytes: 100}, ErrRecordListTooLarge},
		{"zero records", func(rb *kmsg.RecordBatch) { rb.NumRecords, rb.LastOffsetDelta, rb.Records = 0, -1, nil }, Limits{}, ErrCorrupt},
		{"count mismatch", func(rb *kmsg.RecordBatch) { rb.NumRecords = 4 }, Limits{}, ErrInvalidRecord},
		{"delta mismatch", func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = 1 }, Limits{}, ErrInvalidRecord},
		{"both off", func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta, rb.NumRecords = 1, 2 }, Limits{}, ErrInvalidRecord},
		{"control", func(rb *kmsg.RecordBatch) { rb.Attributes |= 0x20 }, Limits{}, ErrInvalidRecord},
		{"codec 5", func(rb *kmsg.RecordBatch) { rb.Attributes |= 5 }, Limits{}, ErrUnsupportedCompression},
		{"pid without seq", func(rb *kmsg.RecordBatch) { rb.ProducerID, rb.ProducerEpoch = 1, 0 }, Limits{}, ErrInvalidRecord},
		{"txn without pid", func(rb *kmsg.RecordBatch) { rb.Attributes |= 0x10 }, Limits{}, ErrInvalidRecord},
		{"trailing bytes", func(rb *kmsg.RecordBatch) { rb.Records = append(rb.Records, 0) }, Limits{}, ErrCorrupt},
		{"missing record", func(rb *kmsg.RecordBatch) { rb.NumRecords, rb.LastOffsetDelta = 4, 3 }, Limits{}, ErrInvalidRecord},
		{"null key compacted", nil, Limits{RequireKeys: true}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := buildBatch(t, None, recs, c.mod)
			_, err := ParseBatches(raw, c.lim)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}

	// A compacted topic refuses a record without a key.
	raw := buildBatch(t, None, []testRecord{{key: nil, value: []byte("v")}}, nil)
	if _, err := ParseBatches(raw, Limits{RequireKeys: true}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("null key on a compacted topic: %v", err)
	}
	b, _ := ParseHeader(buildBatch(t, Gzip, []testRecord{{key: nil, value: []byte("v")}}, nil))
	if err := CheckRecords(NewDecompressor(0), b, true); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("null key in a compressed batch on a compacted topic: %v", err)
	}
}

func TestParseBatchesSetRules(t *testing.T) {
	one := buildBatch(t, None, sampleRecords(2), nil)
	two := append(bytes.Clone(one), one...)
	if bs, err := ParseBatches(two, Limits{}); err != nil || len(bs) != 2 {
		t.Fatalf("two batches: %d, %v", len(bs), err)
	}
	if _, err := ParseBatches(two, Limits{MaxBatches: 1}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("two batches with MaxBatches 1: %v", err)
	}
	if _, err := ParseBatches(nil, Limits{}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("empty set: %v", err)
	}
	// A valid batch followed by a bad one rejects the whole set.
	bad := append(bytes.Clone(one), one...)
	bad[len(bad)-1] ^= 0xff
	if _, err := ParseBatches(bad, Limits{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("second batch corrupt: %v", err)
	}
}
