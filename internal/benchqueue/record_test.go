package benchqueue

import (
	"testing"
	"time"
)

func TestRecordStamp(t *testing.T) {
	recs := newRecords(100)
	sent := time.Unix(1700000000, 123456789)
	v := recs.get(sent, 42)
	if len(v) != 100 || v[99] == 0 {
		t.Fatalf("value %d bytes, last %d", len(v), v[99])
	}
	got, seq, ok := stamp(v)
	if !ok || !got.Equal(sent) || seq != 42 {
		t.Errorf("stamp = %v, %d, %v; want %v, 42", got, seq, ok, sent)
	}
	recs.put(v)
	if v2 := recs.get(sent.Add(time.Second), 43); len(v2) != 100 {
		t.Errorf("recycled value %d bytes", len(v2))
	}
	recs.put(make([]byte, 5)) // not ours: dropped, not handed out
	if _, _, ok := stamp(make([]byte, headerSize-1)); ok {
		t.Error("stamp accepted a short value")
	}
}

func FuzzStamp(f *testing.F) {
	f.Add(newRecords(headerSize).get(time.Unix(1, 2), 3))
	f.Add([]byte("short"))
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, v []byte) {
		sent, seq, ok := stamp(v)
		if ok != (len(v) >= headerSize) {
			t.Fatalf("ok %v for %d bytes", ok, len(v))
		}
		if !ok {
			return
		}
		b := newRecords(len(v)).get(sent, seq)
		if string(b[:headerSize]) != string(v[:headerSize]) {
			t.Fatalf("header %x re-encoded as %x", v[:headerSize], b[:headerSize])
		}
	})
}
