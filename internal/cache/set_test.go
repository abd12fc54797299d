package cache

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func ssAddN(te *testEngine, key, prefix string, from, to int) {
	args := []string{"SADD", key}
	for i := from; i < to; i++ {
		args = append(args, prefix+strconv.Itoa(i))
	}
	te.do(args...)
}

// Encodings follow Redis 7.0 (checked against redis-server 7.0.15): an
// intset while every member is an integer and there are at most 512 of
// them, else a hashtable — 7.0 has no listpack sets.
func TestSetEncoding(t *testing.T) {
	te := newTestEngine(t)
	ssAddN(te, "i", "", 0, 512)
	te.expect("intset", "OBJECT", "ENCODING", "i")
	te.do("SADD", "i", "512")
	te.expect("hashtable", "OBJECT", "ENCODING", "i")
	te.do("SREM", "i", "0", "1", "2")
	te.expect("hashtable", "OBJECT", "ENCODING", "i") // never converts back
	for i := 3; i < 510; i++ {
		te.do("SREM", "i", strconv.Itoa(i))
	}
	te.expect(":3", "SCARD", "i")
	te.expect("hashtable", "OBJECT", "ENCODING", "i")

	// Small sets of strings are hashtables in 7.0 (7.2 made them listpacks).
	te.do("SADD", "w", "a")
	te.expect("hashtable", "OBJECT", "ENCODING", "w")
	te.do("SADD", "l", "1", "2")
	te.expect("intset", "OBJECT", "ENCODING", "l")
	te.do("SADD", "l", "-0") // "-0" is not an integer to Redis
	te.expect("hashtable", "OBJECT", "ENCODING", "l")

	for _, m := range []string{"007", "+5", "", "99999999999999999999", "9223372036854775808", "1.0", " 1"} {
		te.do("DEL", "n")
		te.do("SADD", "n", m)
		te.expect("hashtable", "OBJECT", "ENCODING", "n")
		te.expect(":1", "SISMEMBER", "n", m)
	}
	te.do("SADD", "e", "9223372036854775807", "-9223372036854775808", "0", "-1")
	te.expect("intset", "OBJECT", "ENCODING", "e")
	te.expect("*4 -9223372036854775808 -1 0 9223372036854775807", "SMEMBERS", "e")
	te.expect(":0", "SISMEMBER", "i", "007") // not confused with 7
	te.expect(":1", "SISMEMBER", "i", "511")

	// Results are built from an empty intset, as Redis builds them: an
	// all-integer result is an intset even when its sources are hashtables.
	hsRun(te, [][]string{
		{":3", "SUNIONSTORE", "u", "i"},
		{"intset", "OBJECT", "ENCODING", "u"},
		{":3", "SINTERSTORE", "in", "i", "i"},
		{"intset", "OBJECT", "ENCODING", "in"},
		{":3", "SDIFFSTORE", "df", "i", "nokey"},
		{"intset", "OBJECT", "ENCODING", "df"},
		{":4", "SADD", "mixed", "3", "b", "1", "a"},
		{":4", "SUNIONSTORE", "u2", "mixed"},
		{"hashtable", "OBJECT", "ENCODING", "u2"},
		{":1", "SMOVE", "mixed", "mv1", "3"},
		{"intset", "OBJECT", "ENCODING", "mv1"},
		{":1", "SMOVE", "mixed", "mv2", "a"},
		{"hashtable", "OBJECT", "ENCODING", "mv2"},
	})
}

// SPOP taking most of a set rebuilds it from the members that stay, so a
// hashtable of integers shrinks back to an intset, as in Redis 7.0
// (600 integers, SPOP 595: "intset" in 7.0.15).
func TestSetPopReencodes(t *testing.T) {
	te := newTestEngine(t)
	ssAddN(te, "h", "", 1, 601)
	te.expect("hashtable", "OBJECT", "ENCODING", "h")
	if got := strings.Count(te.do("SPOP", "h", "595"), " "); got != 595 {
		t.Fatalf("SPOP 595 popped %d", got)
	}
	te.expect(":5", "SCARD", "h")
	te.expect("intset", "OBJECT", "ENCODING", "h")

	// Popping a few takes them one by one: the encoding stays.
	ssAddN(te, "few", "", 1, 601)
	te.do("SPOP", "few", "5")
	te.expect("hashtable", "OBJECT", "ENCODING", "few")

	// Survivors that are not all integers stay a hashtable.
	ssAddN(te, "s", "m", 0, 600)
	te.do("SPOP", "s", "590")
	te.expect(":10", "SCARD", "s")
	te.expect("hashtable", "OBJECT", "ENCODING", "s")
	hsCheckUsed(te)
}

func TestSetMemoryAccounting(t *testing.T) {
	te := newTestEngine(t)
	before := te.ks.used
	ssAddN(te, "s", "", 0, 100)
	hsCheckUsed(te)
	te.do("SADD", "s", "word")
	hsCheckUsed(te)
	ssAddN(te, "s", "member-", 0, 300)
	hsCheckUsed(te)
	te.do("SPOP", "s", "50")
	te.do("SREM", "s", "1", "2", "member-7")
	te.do("SINTERSTORE", "d", "s", "s")
	te.do("SMOVE", "s", "e", "member-9")
	hsCheckUsed(te)
	te.do("DEL", "s", "d", "e")
	if te.ks.used != before {
		t.Errorf("used = %d after deleting everything, want %d", te.ks.used, before)
	}
}

func ssMembers(s *Set) []string {
	var out []string
	s.Each(func(m string) bool { out = append(out, m); return true })
	return out
}

func TestSetCodecRoundTrip(t *testing.T) {
	build := func(members ...string) *Set {
		s := newSet()
		for _, m := range members {
			s.Add(m)
		}
		return s
	}
	var many []string
	for i := range 1000 {
		many = append(many, "m"+strconv.Itoa(i))
	}
	shrunk := build(strings.Repeat("x", 100))
	shrunk.Remove(strings.Repeat("x", 100))
	shrunk.Add("1")
	sets := map[string]*Set{
		"intset":    build("5", "-9223372036854775808", "9223372036854775807", "0"),
		"strings":   build("z", "1", "a", ""),
		"hashtable": build(many...),
		"shrunk":    shrunk,
		"empty":     newSet(),
	}
	for name, s := range sets {
		b := s.AppendBinary([]byte{0xAA})
		got, err := decodeSet(b[1:])
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		g := got.(*Set)
		if g.Encoding() != s.Encoding() || g.Len() != s.Len() || g.MemSize() != s.MemSize() && s.enc != setEncHashtable {
			t.Errorf("%s: decoded %s/%d/%d, want %s/%d/%d", name, g.Encoding(), g.Len(), g.MemSize(), s.Encoding(), s.Len(), s.MemSize())
		}
		if !slices.Equal(ssMembers(g), ssMembers(s)) {
			t.Errorf("%s: members or their order differ", name)
		}
	}
}

func TestSetDecodeRejects(t *testing.T) {
	unsorted := []byte{setEncIntset, 2}
	unsorted = binary.AppendVarint(unsorted, 5)
	unsorted = binary.AppendVarint(unsorted, 3)
	dup := AppendString(AppendString([]byte{setEncHashtable, 2}, "a"), "a")
	valid := AppendString([]byte{setEncHashtable, 1}, "a")
	cases := map[string][]byte{
		"empty":        {},
		"bad encoding": {9, 0},
		"no count":     {setEncHashtable},
		"unsorted":     unsorted,
		"duplicate":    dup,
		"truncated":    valid[:len(valid)-1],
		"trailing":     append(bytes.Clone(valid), 1),
		"huge count":   binary.AppendUvarint([]byte{setEncHashtable}, 1<<62),
		"bad varint":   {setEncIntset, 1, 0xFF},
	}
	for name, b := range cases {
		if _, err := decodeSet(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := decodeSet(valid); err != nil {
		t.Errorf("valid: %v", err)
	}
}

// Snapshots written while sets had 7.2's listpack encoding load as 7.0's
// hashtable.
func TestSetDecodeLegacyListpack(t *testing.T) {
	b := AppendString(AppendString([]byte{setEncListpack, 2}, "a"), "1")
	v, err := decodeSet(b)
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*Set)
	if s.Encoding() != "hashtable" || s.Len() != 2 || !s.Has("a") || !s.Has("1") {
		t.Errorf("legacy listpack decoded as %s with %v", s.Encoding(), ssMembers(s))
	}
	if s.bytes != 2 || s.MemSize() != setBaseSize+2+s.big.MemSize() {
		t.Errorf("legacy listpack: bytes %d", s.bytes)
	}
}

func TestSetCloneIsDeep(t *testing.T) {
	for _, members := range [][]string{{"1", "2"}, {"a", "b"}, slices.Repeat([]string{"x"}, 1)} {
		s := newSet()
		for _, m := range members {
			s.Add(m)
		}
		for i := range 200 {
			if len(members) == 1 {
				s.Add("big" + strconv.Itoa(i))
			}
		}
		c := s.Clone().(*Set)
		c.Add("new")
		c.Remove(members[0])
		if s.Has("new") || !s.Has(members[0]) {
			t.Errorf("%s: clone shares storage with the original", s.Encoding())
		}
	}
}

// FuzzSetDecode: any input is refused or decodes to a set that encodes and
// decodes again to the same thing; nothing panics.
func FuzzSetDecode(f *testing.F) {
	for _, members := range [][]string{{"1", "2"}, {"a"}, slices.Repeat([]string{"m"}, 1)} {
		s := newSet()
		for _, m := range members {
			s.Add(m)
		}
		f.Add(s.AppendBinary(nil))
	}
	f.Add([]byte{setEncHashtable, 1, 1, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeSet(b)
		if err != nil {
			return
		}
		again, err := decodeSet(v.AppendBinary(nil))
		if err != nil || again.Len() != v.Len() || again.Encoding() != v.Encoding() {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
