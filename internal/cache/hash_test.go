package cache

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
)

// hsCheckUsed fails unless the keyspace's running byte count equals a
// recount over database 0 (the running MemSize of every value included).
func hsCheckUsed(te *testEngine) {
	te.t.Helper()
	var sum int64
	for k, e := range te.ks.dbs[0].keys.All() {
		sum += e.memSize() + int64(len(k))
	}
	if sum != te.ks.used {
		te.t.Errorf("used = %d, recount = %d", te.ks.used, sum)
	}
}

// hashBytes recounts what Hash.bytes must hold.
func hashBytes(h *Hash) int64 {
	var n int64
	h.Each(func(f string, v []byte) bool { n += int64(len(f) + cap(v)); return true })
	return n
}

// hashKeyBytes recounts what Hash.keys must hold.
func hashKeyBytes(h *Hash) int64 {
	var n int64
	h.Each(func(f string, _ []byte) bool { n += int64(len(f)); return true })
	return n
}

// Hash.keys (Σ len(field), which sizes HRANDFIELD's replies) follows every
// change, both encodings, clones and decoding.
func TestHashKeyBytes(t *testing.T) {
	h := newHash()
	check := func(what string, h *Hash) {
		t.Helper()
		if h.keys != hashKeyBytes(h) {
			t.Errorf("%s: keys = %d, recount %d", what, h.keys, hashKeyBytes(h))
		}
	}
	h.Set("a", []byte("1"))
	h.Set("bb", []byte("2"))
	h.Set("a", []byte("3")) // an update adds no field bytes
	check("listpack", h)
	h.Delete([]byte("bb"))
	h.Delete([]byte("zz"))
	check("listpack after delete", h)
	for i := range 600 {
		h.Set("field"+strconv.Itoa(i), []byte("v"))
	}
	h.Set("field1", []byte("again"))
	if h.Encoding() != "hashtable" {
		t.Fatalf("600 fields: %s", h.Encoding())
	}
	check("hashtable", h)
	for i := range 50 {
		h.Delete([]byte("field" + strconv.Itoa(i)))
	}
	check("hashtable after delete", h)
	check("clone", h.Clone().(*Hash))
	d, err := decodeHash(h.AppendBinary(nil))
	if err != nil {
		t.Fatal(err)
	}
	check("decoded", d.(*Hash))
}

func TestHashMemoryAccounting(t *testing.T) {
	te := newTestEngine(t)
	before := te.ks.used
	te.do("HSET", "h", "a", "1", "b", "22")
	te.do("HSET", "h", "a", strings.Repeat("x", 30))
	te.do("HINCRBY", "h", "n", "12345")
	te.do("HINCRBYFLOAT", "h", "f", "1.25")
	hsCheckUsed(te)
	for i := range 600 { // through the conversion to hashtable
		te.do("HSET", "h", "k"+strconv.Itoa(i), strings.Repeat("v", i%70))
	}
	hsCheckUsed(te)
	h := te.ks.dbs[0].peek("h").obj.(*Hash)
	if h.bytes != hashBytes(h) {
		t.Errorf("hashtable bytes = %d, recount %d", h.bytes, hashBytes(h))
	}
	for i := range 150 {
		te.do("HDEL", "h", "k"+strconv.Itoa(i))
	}
	hsCheckUsed(te)
	if h.bytes != hashBytes(h) {
		t.Errorf("hashtable bytes after HDEL = %d, recount %d", h.bytes, hashBytes(h))
	}
	te.do("DEL", "h")
	if te.ks.used != before {
		t.Errorf("used = %d after deleting everything, want %d", te.ks.used, before)
	}
}

func TestHashCodecRoundTrip(t *testing.T) {
	small := newHash()
	small.Set("z", []byte("1"))
	small.Set("a", []byte{})
	small.Set("m", []byte("three"))
	big := newHash()
	for i := range 600 {
		big.Set("f"+strconv.Itoa(i), []byte(strconv.Itoa(i*i)))
	}
	shrunk := newHash()
	shrunk.Set("long", bytes.Repeat([]byte("x"), 100))
	shrunk.Delete([]byte("long"))
	shrunk.Set("a", []byte("b"))

	for name, h := range map[string]*Hash{"listpack": small, "hashtable": big, "shrunk": shrunk, "empty": newHash()} {
		b := h.AppendBinary([]byte{0xAA})
		if b[0] != 0xAA {
			t.Fatalf("%s: AppendBinary overwrote the prefix", name)
		}
		got, err := decodeHash(b[1:])
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		g := got.(*Hash)
		if g.Encoding() != h.Encoding() || g.Len() != h.Len() {
			t.Errorf("%s: decoded %s/%d, want %s/%d", name, g.Encoding(), g.Len(), h.Encoding(), h.Len())
		}
		h.Each(func(f string, v []byte) bool {
			if gv, ok := g.Get([]byte(f)); !ok || !bytes.Equal(gv, v) {
				t.Errorf("%s: field %q = %q, %v", name, f, gv, ok)
			}
			return true
		})
		if g.bytes != hashBytes(g) {
			t.Errorf("%s: decoded bytes %d, recount %d", name, g.bytes, hashBytes(g))
		}
		if name == "listpack" && !bytes.Equal(g.AppendBinary(nil), h.AppendBinary(nil)) {
			t.Errorf("listpack order not preserved")
		}
	}
}

func TestHashDecodeRejects(t *testing.T) {
	valid := newHash()
	valid.Set("f", []byte("v"))
	enc := valid.AppendBinary(nil)
	dup := []byte{hashEncListpack, 2}
	dup = AppendString(dup, "f")
	dup = AppendBytes(dup, []byte("v"))
	dup = AppendString(dup, "f")
	dup = AppendBytes(dup, []byte("w"))
	huge := binary.AppendUvarint([]byte{hashEncHashtable}, 1<<60)
	cases := map[string][]byte{
		"empty":        {},
		"bad encoding": {7, 0},
		"no count":     {hashEncListpack},
		"truncated":    enc[:len(enc)-1],
		"trailing":     append(append([]byte(nil), enc...), 0),
		"duplicate":    dup,
		"huge count":   huge,
	}
	for name, b := range cases {
		if _, err := decodeHash(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := decodeHash(enc); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func TestHashCloneIsDeep(t *testing.T) {
	for _, n := range []int{3, 600} {
		h := newHash()
		for i := range n {
			h.Set("f"+strconv.Itoa(i), []byte("v"))
		}
		c := h.Clone().(*Hash)
		v, _ := c.Get([]byte("f0"))
		v[0] = 'X'
		c.Set("new", []byte("x"))
		if orig, _ := h.Get([]byte("f0")); string(orig) != "v" || h.Has([]byte("new")) {
			t.Errorf("n=%d: clone shares storage with the original", n)
		}
		if c.Encoding() != h.Encoding() || c.MemSize() < h.MemSize() {
			t.Errorf("n=%d: clone %s/%d, original %s/%d", n, c.Encoding(), c.MemSize(), h.Encoding(), h.MemSize())
		}
	}
}

// Values are copied out of the argument buffers, which the front-end reuses.
func TestHashNoAliasing(t *testing.T) {
	te := newTestEngine(t)
	args := [][]byte{[]byte("HSET"), []byte("h"), []byte("f"), []byte("value")}
	te.Exec(0, te.Lookup(args[0]), args, &wire{})
	copy(args[2], "X")
	copy(args[3], "XXXXX")
	te.expect("value", "HGET", "h", "f")
}

// FuzzHashDecode: any input is refused or decodes to a hash that encodes
// and decodes again to the same thing; nothing panics.
func FuzzHashDecode(f *testing.F) {
	small, big := newHash(), newHash()
	small.Set("f", []byte("v"))
	for i := range 130 {
		big.Set(strconv.Itoa(i), []byte("x"))
	}
	f.Add(small.AppendBinary(nil))
	f.Add(big.AppendBinary(nil))
	f.Add([]byte{hashEncListpack, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeHash(b)
		if err != nil {
			return
		}
		again, err := decodeHash(v.AppendBinary(nil))
		if err != nil || again.Len() != v.Len() || again.Encoding() != v.Encoding() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
