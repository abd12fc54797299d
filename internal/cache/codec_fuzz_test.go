package cache

import (
	"bytes"
	"testing"
)

// FuzzApplyEntry feeds arbitrary bytes to the log-entry decoder and apply,
// as replay does with whatever is on disk: a malformed entry is an error,
// never a panic or a runaway allocation.
func FuzzApplyEntry(f *testing.F) {
	f.Add(encodeCommand(1, 2, 0, [][]byte{[]byte("SET"), []byte("k"), []byte("v")}))
	f.Add(encodeCommand(1, 2, 3, [][]byte{[]byte("RPUSH"), []byte("l"), []byte("a"), []byte("b")}))
	f.Add(encodeMulti(5, 6, 0, []Watch{{DB: 0, Key: "k", Version: 1}}, [][][]byte{{[]byte("INCR"), []byte("n")}}))
	f.Add(encodeKeyOp(entExpire, 7, 0, "k"))
	f.Add(encodeKeyOp(entEvict, 8, 1, "k"))
	f.Add([]byte{entCommand, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.ScriptBudget = 10000 // a fuzzed EVAL must stay quick
		e := New(cfg, nil, nil)
		e.mu.Lock()
		defer e.mu.Unlock()
		_ = e.applyEntryLocked(data)
	})
}

// FuzzDecodeValue: the value codec behind snapshots and DUMP/RESTORE (whose
// payload a client sends) rejects malformed input without panicking, and
// what it accepts re-encodes to something it decodes the same way.
func FuzzDecodeValue(f *testing.F) {
	e := New(DefaultConfig(), nil, nil)
	e.mu.Lock()
	for _, cmd := range [][][]byte{
		{[]byte("SET"), []byte("s"), []byte("hello")}, {[]byte("RPUSH"), []byte("l"), []byte("a"), []byte("b")},
		{[]byte("HSET"), []byte("h"), []byte("f"), []byte("v")}, {[]byte("SADD"), []byte("set"), []byte("1"), []byte("2")},
		{[]byte("SADD"), []byte("set2"), []byte("x")}, {[]byte("ZADD"), []byte("z"), []byte("1"), []byte("m"), []byte("-2.5"), []byte("n")},
	} {
		if err := e.applyEntryLocked(encodeCommand(1, 1, 0, cmd)); err != nil {
			f.Fatal(err)
		}
	}
	for _, k := range []string{"s", "l", "h", "set", "set2", "z"} {
		ent := e.ks.dbs[0].peek(k)
		if ent == nil {
			f.Fatalf("seed key %s missing", k)
		}
		f.Add(appendValue(nil, ent))
	}
	e.mu.Unlock()
	f.Fuzz(func(t *testing.T, b []byte) {
		ent, err := decodeValue(b)
		if err != nil {
			return
		}
		again := appendValue(nil, ent)
		ent2, err := decodeValue(again)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !bytes.Equal(appendValue(nil, ent2), again) {
			t.Fatal("re-encoding is not stable")
		}
	})
}
