package cache

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestKeysRename(t *testing.T) {
	te := newTestEngine(t)
	te.expect("-ERR no such key", "RENAME", "nope", "x")
	te.expect("-ERR no such key", "RENAME", "nope", "nope")
	te.expect("-ERR no such key", "RENAMENX", "nope", "x")
	te.expect("+OK", "SET", "a", "1")
	te.expect("+OK", "RENAME", "a", "a")
	te.expect(":0", "RENAMENX", "a", "a")
	te.expect("1", "GET", "a")

	te.expect(":1", "EXPIRE", "a", "100")
	te.expect("+OK", "RENAME", "a", "b")
	te.expect(":0", "EXISTS", "a")
	te.expect("1", "GET", "b")
	te.expect(":100", "TTL", "b")

	te.expect("+OK", "SET", "c", "3")
	te.expect(":0", "RENAMENX", "b", "c")
	te.expect("1", "GET", "b")
	te.expect("+OK", "RENAME", "b", "c") // overwrites, with b's TTL
	te.expect("1", "GET", "c")
	te.expect(":100", "TTL", "c")
	te.expect(":1", "RENAMENX", "c", "d")
	te.expect(":0", "EXISTS", "c")
	te.expect("1", "GET", "d")
	te.expect(":1", "DBSIZE")

	// Overwriting a key with a TTL by one without drops the TTL.
	te.expect("+OK", "SET", "e", "5")
	te.expect("+OK", "RENAME", "e", "d")
	te.expect(":-1", "TTL", "d")
	_, vol := te.DBSizes()
	if vol[0] != 0 {
		t.Errorf("volatile keys = %d after overwriting the only one", vol[0])
	}
	te.expect("-ERR wrong number of arguments for 'rename' command", "RENAME", "d")
}

func TestKeysRenameAggregate(t *testing.T) {
	te := newTestEngine(t)
	l := &keysFakeList{items: []string{"x", "y"}}
	keysPut(te, 0, "l", &entry{kind: KindList, obj: l})
	te.expect("+OK", "RENAME", "l", "l2")
	te.expect("+list", "TYPE", "l2")
	if e := te.ks.dbs[0].peek("l2"); e == nil || e.obj != l {
		t.Error("RENAME did not move the value itself")
	}
}

// TestKeysRenameMemory checks used_memory stays exact across renames, copies
// and moves: the entry's size moves with it and only the key's length changes.
func TestKeysRenameMemory(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "a", "value")
	base := te.UsedMemory()
	te.expect("+OK", "RENAME", "a", "abc")
	if got := te.UsedMemory(); got != base+2 {
		t.Errorf("after RENAME used = %d, want %d", got, base+2)
	}
	te.expect(":1", "MOVE", "abc", "3")
	if got := te.UsedMemory(); got != base+2 {
		t.Errorf("after MOVE used = %d, want %d", got, base+2)
	}
	te.db = 3
	te.expect(":1", "COPY", "abc", "abc", "DB", "0")
	if got := te.UsedMemory(); got <= base+2 {
		t.Errorf("after COPY used = %d, want more than %d", got, base+2)
	}
	te.expect(":1", "DEL", "abc")
	te.db = 0
	te.expect(":1", "DEL", "abc")
	if got := te.UsedMemory(); got != 0 {
		t.Errorf("empty keyspace uses %d", got)
	}
}

func TestKeysCopy(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":0", "COPY", "nope", "b")
	te.expect("+OK", "SET", "a", "1")
	te.expect("-ERR source and destination objects are the same", "COPY", "a", "a")
	te.expect("-ERR source and destination objects are the same", "COPY", "a", "a", "DB", "0")
	te.expect(":1", "COPY", "a", "b")
	te.expect("1", "GET", "b")
	te.expect("+OK", "SET", "a", "2")
	te.expect("1", "GET", "b") // a copy, not a shared value
	te.expect(":0", "COPY", "a", "b")
	te.expect("1", "GET", "b")
	te.expect(":1", "COPY", "a", "b", "REPLACE")
	te.expect("2", "GET", "b")

	te.expect(":1", "EXPIRE", "a", "100")
	te.expect(":1", "COPY", "a", "c")
	te.expect(":100", "TTL", "c")

	te.expect(":1", "COPY", "a", "a", "db", "5", "replace")
	te.expect(":0", "COPY", "a", "a", "DB", "5")
	te.db = 5
	te.expect("2", "GET", "a")
	te.expect(":100", "TTL", "a")
	te.db = 0

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"COPY", "a", "x", "DB", "16"}, "-ERR DB index is out of range"},
		{[]string{"COPY", "a", "x", "DB", "-1"}, "-ERR DB index is out of range"},
		{[]string{"COPY", "a", "x", "DB", "one"}, "-ERR value is not an integer or out of range"},
		{[]string{"COPY", "a", "x", "DB", "4294967296"}, "-ERR value is not an integer or out of range"},
		{[]string{"COPY", "a", "x", "DB"}, "-ERR syntax error"},
		{[]string{"COPY", "a", "x", "FOO"}, "-ERR syntax error"},
		{[]string{"COPY", "a"}, "-ERR wrong number of arguments for 'copy' command"},
	}
	for _, tt := range tests {
		te.expect(tt.want, tt.args...)
	}
	te.expect(":0", "EXISTS", "x")
}

func TestKeysCopyAggregateIsDeep(t *testing.T) {
	te := newTestEngine(t)
	l := &keysFakeList{items: []string{"x"}}
	keysPut(te, 0, "l", &entry{kind: KindList, obj: l})
	te.expect(":1", "COPY", "l", "l2")
	te.expect("+list", "TYPE", "l2")
	c := te.ks.dbs[0].peek("l2")
	if c == nil || c.obj == Aggregate(l) {
		t.Fatal("COPY shares the aggregate")
	}
	l.items[0] = "changed"
	if got := c.obj.(*keysFakeList).items[0]; got != "x" {
		t.Errorf("copy changed with the original: %q", got)
	}
}

func TestKeysMove(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":0", "MOVE", "nope", "1")
	te.expect("+OK", "SET", "a", "1")
	te.expect(":1", "EXPIRE", "a", "100")
	te.expect("-ERR source and destination objects are the same", "MOVE", "a", "0")
	te.expect("-ERR DB index is out of range", "MOVE", "a", "16")
	te.expect("-ERR value is not an integer or out of range", "MOVE", "a", "x")
	te.expect(":1", "MOVE", "a", "1")
	te.expect(":0", "EXISTS", "a")
	te.db = 1
	te.expect("1", "GET", "a")
	te.expect(":100", "TTL", "a")
	te.expect("+OK", "SET", "b", "db1")
	te.db = 0
	te.expect("+OK", "SET", "b", "db0")
	te.expect(":0", "MOVE", "b", "1") // exists there: nothing moves
	te.expect("db0", "GET", "b")
	te.db = 1
	te.expect("db1", "GET", "b")
	keys, vol := te.DBSizes()
	if keys[0] != 1 || keys[1] != 2 || vol[0] != 0 || vol[1] != 1 {
		t.Errorf("keys %v volatile %v", keys[:2], vol[:2])
	}
	te.expect("-ERR wrong number of arguments for 'move' command", "MOVE", "b")
}

// keysHookWriter calls hook once, on the first write that reaches it.
type keysHookWriter struct {
	bytes.Buffer
	hook func()
}

func (w *keysHookWriter) Write(p []byte) (int, error) {
	if h := w.hook; h != nil {
		w.hook = nil
		h()
	}
	return w.Buffer.Write(p)
}

// TestKeysMoveDuringSnapshot renames, moves and copies keys while a snapshot
// is being written: the snapshot must still hold the keyspace as it was when
// it started, every key once, under its old name and database.
func TestKeysMoveDuringSnapshot(t *testing.T) {
	te := newTestEngine(t)
	val := strings.Repeat("v", 1024)
	const n = 600 // several walk slices, and more than bufio's buffer
	for i := range n {
		te.expect("+OK", "SET", "k"+strconv.Itoa(i), val)
	}
	w := &keysHookWriter{hook: func() {
		if te.ks.snap == nil {
			t.Error("the hook ran after the walk; the test did not interleave")
		}
		for i := 0; i < n; i += 3 {
			k := "k" + strconv.Itoa(i)
			te.expect("+OK", "RENAME", k, "r"+strconv.Itoa(i))
			te.expect(":1", "MOVE", "k"+strconv.Itoa(i+1), "2")
			te.expect(":1", "COPY", "k"+strconv.Itoa(i+2), "k"+strconv.Itoa(i+1))
		}
	}}
	if _, err := te.WriteSnapshot(w); err != nil {
		t.Fatal(err)
	}
	if w.hook != nil {
		t.Fatal("the snapshot was written in one piece; the test did not interleave")
	}
	keys, _ := te.DBSizes()
	if keys[0] != n || keys[2] != n/3 { // renamed in place; moved out, copied back in
		t.Fatalf("after the writes: keys %v", keys[:3])
	}
	loaded := newTestEngine(t)
	if _, err := loaded.LoadSnapshot(bytes.NewReader(w.Bytes())); err != nil {
		t.Fatal(err)
	}
	keys, _ = loaded.DBSizes()
	if keys[0] != n || keys[2] != 0 {
		t.Fatalf("snapshot keys %v, want %d in db 0", keys[:3], n)
	}
	for i := range n {
		if got := loaded.do("STRLEN", "k"+strconv.Itoa(i)); loaded.Lookup([]byte("strlen")) != nil && got != ":1024" {
			t.Fatalf("k%d in snapshot: %q", i, got)
		}
		loaded.expect(":1", "EXISTS", "k"+strconv.Itoa(i))
		loaded.expect(":0", "EXISTS", "r"+strconv.Itoa(i))
	}
}
