package cache

import (
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"
)

func TestKeysObjectEncoding(t *testing.T) {
	te := newTestEngine(t)
	te.expect("$-1", "OBJECT", "ENCODING", "nope")
	if got := te.doRaw(3, "OBJECT", "ENCODING", "nope"); got != "_\r\n" {
		t.Errorf("RESP3 missing key = %q", got)
	}
	te.expect("+OK", "SET", "i", "12345")
	te.expect("+OK", "SET", "e", "hello")
	te.expect("+OK", "SET", "r", strings.Repeat("x", 45))
	keysPut(te, 0, "l", &entry{kind: KindList, obj: &keysFakeList{items: []string{"x"}}})
	te.expect("int", "OBJECT", "ENCODING", "i")
	te.expect("embstr", "object", "encoding", "e")
	te.expect("raw", "OBJECT", "ENCODING", "r")
	te.expect("listpack", "OBJECT", "ENCODING", "l")
}

func TestKeysObjectRefcount(t *testing.T) {
	te := newTestEngine(t)
	te.expect("$-1", "OBJECT", "REFCOUNT", "nope")
	te.expect("+OK", "SET", "small", "100")
	te.expect("+OK", "SET", "big", "10000")
	te.expect("+OK", "SET", "s", "hello")
	te.expect(":2147483647", "OBJECT", "REFCOUNT", "small")
	te.expect(":1", "OBJECT", "REFCOUNT", "big")
	te.expect(":1", "OBJECT", "REFCOUNT", "s")
	// With an LRU policy and a limit, Redis stops sharing integers.
	te.SetMaxMemory(1<<30, "allkeys-lru", 5)
	te.expect(":1", "OBJECT", "REFCOUNT", "small")
}

func TestKeysObjectIdleAndFreq(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect(":0", "OBJECT", "IDLETIME", "k")
	te.expect("$-1", "OBJECT", "IDLETIME", "nope")
	keysAdvance(te, 10_000)
	// Inspecting a key does not count as an access.
	te.expect(":1", "EXISTS", "k")
	te.expect("+string", "TYPE", "k")
	te.expect(":-1", "TTL", "k")
	te.expect(":10", "OBJECT", "IDLETIME", "k")
	te.expect(":1", "TOUCH", "k")
	te.expect(":0", "OBJECT", "IDLETIME", "k")

	te.expect("-"+errLFUNotSelected, "OBJECT", "FREQ", "k")
	te.SetMaxMemory(0, "allkeys-lfu", 5)
	if n := keysInt(te, "OBJECT", "FREQ", "k"); n < 0 || n > 255 {
		t.Errorf("OBJECT FREQ = %d", n)
	}
	te.expect("-"+errLFUSelected, "OBJECT", "IDLETIME", "k")
	te.expect("$-1", "OBJECT", "FREQ", "nope")
}

func TestKeysObjectSubcommands(t *testing.T) {
	te := newTestEngine(t)
	help := te.do("OBJECT", "HELP")
	if !strings.HasPrefix(help, "*15 +OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are: +ENCODING <key>") ||
		!strings.HasSuffix(help, "+HELP +    Print this help.") {
		t.Errorf("OBJECT HELP = %q", help)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"OBJECT", "help", "x"}, "-ERR wrong number of arguments for 'object|help' command"},
		{[]string{"OBJECT", "ENCODING"}, "-ERR wrong number of arguments for 'object|encoding' command"},
		{[]string{"OBJECT", "Freq", "a", "b"}, "-ERR wrong number of arguments for 'object|freq' command"},
		{[]string{"OBJECT", "foo", "k"}, "-ERR unknown subcommand 'foo'. Try OBJECT HELP."},
		{[]string{"OBJECT"}, "-ERR wrong number of arguments for 'object' command"},
	}
	for _, tt := range tests {
		te.expect(tt.want, tt.args...)
	}
}

// bulkReply runs a command answering a bulk string and returns its exact
// bytes (the compact form cannot hold binary payloads); ok is false for a null.
func bulkReply(te *testEngine, args ...string) (string, bool) {
	te.t.Helper()
	raw := te.doRaw(2, args...)
	if raw == "$-1\r\n" {
		return "", false
	}
	hdr, rest, found := strings.Cut(raw, "\r\n")
	n, err := strconv.Atoi(strings.TrimPrefix(hdr, "$"))
	if !found || !strings.HasPrefix(hdr, "$") || err != nil || len(rest) != n+2 {
		te.t.Fatalf("%v: not a bulk reply: %q", args, raw)
	}
	return rest[:n], true
}

func TestKeysDumpRestore(t *testing.T) {
	te := newTestEngine(t)
	if _, ok := bulkReply(te, "DUMP", "nope"); ok {
		t.Fatal("DUMP of a missing key is not null")
	}
	te.expect("+OK", "SET", "k", "hello\r\nworld")
	p, _ := bulkReply(te, "DUMP", "k")

	te.expect("+OK", "RESTORE", "k2", "0", p)
	if v, _ := bulkReply(te, "GET", "k2"); v != "hello\r\nworld" {
		t.Errorf("restored %q", v)
	}
	te.expect(":-1", "TTL", "k2")
	te.expect("-BUSYKEY Target key name already exists.", "RESTORE", "k2", "0", p)
	te.expect("+OK", "SET", "k2", "other")
	te.expect("+OK", "RESTORE", "k2", "5000", p, "REPLACE")
	te.expect(":5", "TTL", "k2")
	if v, _ := bulkReply(te, "GET", "k2"); v != "hello\r\nworld" {
		t.Errorf("restored %q", v)
	}

	at := strconv.FormatInt(keysNow(te)+100_000, 10)
	te.expect("+OK", "RESTORE", "abs", at, p, "ABSTTL")
	te.expect(":"+at, "PEXPIRETIME", "abs")
	// Already expired: OK, and the key does not exist (REPLACE deletes the old one).
	te.expect("+OK", "RESTORE", "old", "1", p, "ABSTTL")
	te.expect(":0", "EXISTS", "old")
	te.expect("+OK", "RESTORE", "abs", "1", p, "ABSTTL", "REPLACE")
	te.expect(":0", "EXISTS", "abs")

	te.expect("+OK", "RESTORE", "idle", "0", p, "IDLETIME", "100")
	te.expect(":100", "OBJECT", "IDLETIME", "idle")
	te.expect("+OK", "RESTORE", "freq", "0", p, "FREQ", "7")
	te.SetMaxMemory(0, "allkeys-lfu", 5)
	te.expect(":7", "OBJECT", "FREQ", "freq")
}

func TestKeysRestoreErrors(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	p, _ := bulkReply(te, "DUMP", "k")
	corrupt := []byte(p)
	corrupt[0] ^= 0xff
	// A payload with a valid trailer but an unknown value kind.
	body := binary.LittleEndian.AppendUint16([]byte{99, 1, 2}, dumpVersion)
	badKind := string(binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli)))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"RESTORE", "k", "0", p}, "-BUSYKEY Target key name already exists."},
		{[]string{"RESTORE", "n", "-1", p}, "-ERR Invalid TTL value, must be >= 0"},
		{[]string{"RESTORE", "n", "x", p}, "-ERR value is not an integer or out of range"},
		{[]string{"RESTORE", "n", "0", "garbage"}, "-ERR DUMP payload version or checksum are wrong"},
		{[]string{"RESTORE", "n", "0", ""}, "-ERR DUMP payload version or checksum are wrong"},
		{[]string{"RESTORE", "n", "0", string(corrupt)}, "-ERR DUMP payload version or checksum are wrong"},
		{[]string{"RESTORE", "n", "0", badKind}, "-ERR Bad data format"},
		{[]string{"RESTORE", "n", "0", p, "IDLETIME", "-1"}, "-ERR Invalid IDLETIME value, must be >= 0"},
		{[]string{"RESTORE", "n", "0", p, "IDLETIME", "x"}, "-ERR value is not an integer or out of range"},
		{[]string{"RESTORE", "n", "0", p, "FREQ", "256"}, "-ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{[]string{"RESTORE", "n", "0", p, "FREQ", "-1"}, "-ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{[]string{"RESTORE", "n", "0", p, "IDLETIME", "1", "FREQ", "1"}, "-ERR syntax error"},
		{[]string{"RESTORE", "n", "0", p, "FREQ", "1", "IDLETIME", "1"}, "-ERR syntax error"},
		{[]string{"RESTORE", "n", "0", p, "IDLETIME"}, "-ERR syntax error"},
		{[]string{"RESTORE", "n", "0", p, "BOGUS"}, "-ERR syntax error"},
		// Options are checked before the key: a syntax error wins over BUSYKEY.
		{[]string{"RESTORE", "k", "0", p, "BOGUS"}, "-ERR syntax error"},
		{[]string{"RESTORE", "n", "0"}, "-ERR wrong number of arguments for 'restore' command"},
	}
	for _, tt := range tests {
		te.expect(tt.want, tt.args...)
	}
	te.expect(":0", "EXISTS", "n")
}

// TestKeysDumpRestoreAggregates round-trips every registered aggregate type
// that has a command to build it (skipped until that type exists).
func TestKeysDumpRestoreAggregates(t *testing.T) {
	te := newTestEngine(t)
	builds := [][]string{
		{"RPUSH", "list", "a", "b", "c"},
		{"HSET", "hash", "f", "v", "g", "w"},
		{"SADD", "set", "x", "y", "1"},
		{"ZADD", "zset", "1", "a", "2.5", "b"},
	}
	for _, b := range builds {
		if te.Lookup([]byte(b[0])) == nil {
			continue
		}
		key := b[1]
		if r := te.do(b...); !strings.HasPrefix(r, ":") {
			t.Errorf("%v: %q", b, r)
			continue
		}
		p, ok := bulkReply(te, "DUMP", key)
		if !ok {
			t.Errorf("DUMP %s is null", key)
			continue
		}
		te.expect("+OK", "RESTORE", key+"2", "0", p)
		te.expect(te.do("TYPE", key), "TYPE", key+"2")
		te.expect(te.do("OBJECT", "ENCODING", key), "OBJECT", "ENCODING", key+"2")
		// Hash and set payloads may list elements in another order.
		ordered := key == "list" || key == "zset"
		p2, _ := bulkReply(te, "DUMP", key+"2")
		if ordered && p2 != p {
			t.Errorf("%s: DUMP of the restored value differs", key)
		}
		te.expect(":1", "COPY", key, key+"3")
		p3, _ := bulkReply(te, "DUMP", key+"3")
		if ordered && p3 != p {
			t.Errorf("%s: DUMP of the copy differs", key)
		}
	}
}
