package storage

import (
	"bytes"
	"errors"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, e := range []Entry{{Index: 1, Term: 1}, {Index: 1 << 40, Term: 7, Type: 255, Data: bytes.Repeat([]byte{0xab}, 1000)}} {
		b := appendRecord([]byte("prefix"), &e)[6:]
		if len(b) != recordSize(&e) {
			t.Fatalf("size %d, recordSize %d", len(b), recordSize(&e))
		}
		got, n, err := decodeRecord(b)
		if err != nil || n != len(b) || got.Index != e.Index || got.Term != e.Term || got.Type != e.Type || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("decode = %+v, %d, %v", got, n, err)
		}
		for i := 0; i < len(b); i++ {
			if _, _, err := decodeRecord(b[:i]); !errors.Is(err, errIncomplete) {
				t.Fatalf("prefix of %d bytes: %v", i, err)
			}
		}
		c := bytes.Clone(b)
		c[len(c)-1] ^= 1
		if _, _, err := decodeRecord(c); !errors.Is(err, errChecksum) {
			t.Fatalf("flipped byte: %v", err)
		}
	}
}

// FuzzRecordDecode: the decoder never panics, never reads past its input,
// never claims more bytes than it was given, and what it accepts
// re-encodes to the same bytes.
func FuzzRecordDecode(f *testing.F) {
	f.Add(appendRecord(nil, &Entry{Index: 5, Term: 2, Type: 1, Data: []byte("hello")}))
	f.Add(appendRecord(nil, &Entry{Index: 1, Term: 1}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Add([]byte{17, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, n, err := decodeRecord(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with size %d", err, n)
			}
			return
		}
		if n > len(b) || n < recordHeader+recordFixed {
			t.Fatalf("size %d for %d input bytes", n, len(b))
		}
		if re := appendRecord(nil, &e); !bytes.Equal(re, b[:n]) {
			t.Fatalf("re-encoding differs")
		}
	})
}
