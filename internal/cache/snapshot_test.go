package cache

import (
	"bytes"
	"fmt"
	"testing"
)

// dumpKeyspace renders every key of every database, for comparisons.
func dumpKeyspace(e *Engine) map[string]string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string]string{}
	for _, d := range e.ks.dbs {
		for k, ent := range d.keys.All() {
			out[fmt.Sprintf("%d/%s", d.id, k)] = fmt.Sprintf("%x exp=%d", appendValue(nil, ent), ent.exp)
		}
	}
	return out
}

func TestSnapshotIsTheStateAtItsIndex(t *testing.T) {
	te := newTestEngine(t)
	for i := 0; i < 2000; i++ {
		te.expect("+OK", "SET", fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	te.db = 3
	te.expect("+OK", "SET", "other", "db3")
	te.db = 0
	want := dumpKeyspace(te.Engine)

	snap, err := te.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := te.BeginSnapshot(); err != ErrSnapshotRunning {
		t.Fatalf("second snapshot: %v", err)
	}
	// Writes after the snapshot began must not show in it.
	for i := 0; i < 2000; i += 3 {
		te.expect("+OK", "SET", fmt.Sprint("k", i), "changed")
	}
	te.expect(":1", "DEL", "k1")
	te.expect("+OK", "SET", "new", "key")
	te.expect("+OK", "FLUSHDB")
	te.db = 3
	te.expect("+OK", "SWAPDB", "3", "4")

	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	fresh := New(DefaultConfig(), nil, nil)
	idx, err := fresh.LoadSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if idx != snap.Index {
		t.Errorf("index %d, want %d", idx, snap.Index)
	}
	got := dumpKeyspace(fresh)
	if len(got) != len(want) {
		t.Fatalf("restored %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: restored %q, want %q", k, got[k], v)
		}
	}
	// A corrupted snapshot is refused.
	b := buf.Bytes()
	b[len(b)/2] ^= 0xff
	if _, err := New(DefaultConfig(), nil, nil).LoadSnapshot(bytes.NewReader(b)); err == nil {
		t.Error("corrupt snapshot loaded")
	}
}
