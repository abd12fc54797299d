package cache

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helpers shared by the cmd_keys tests.

// keysNow is the engine's clock as writes and reads see it.
func keysNow(te *testEngine) int64 { return max(time.Now().UnixMilli(), te.lastTS) }

// keysAdvance moves the engine's clock ms milliseconds ahead: entries are never
// stamped earlier than the last one, so raising lastTS is a clock jump.
func keysAdvance(te *testEngine, ms int64) { te.lastTS = keysNow(te) + ms }

// keysPut stores e under key in database dbi as an applied write would.
func keysPut(te *testEngine, dbi int, key string, e *entry) {
	te.mu.Lock()
	defer te.mu.Unlock()
	c := &Ctx{e: te.Engine, ks: te.ks, db: te.ks.dbs[dbi], Now: keysNow(te), W: discardReply{}, applying: true}
	c.add(key, e)
	c.finish()
}

// keysApply runs a write command directly, bypassing Exec's rewrite of relative
// expiry, to test the command on its own (as a script or replay could run it).
func keysApply(te *testEngine, args ...string) string {
	te.t.Helper()
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	w := &wire{proto: 2}
	te.mu.Lock()
	defer te.mu.Unlock()
	ts, seed := te.stampLocked()
	te.applyCommandLocked(ts, seed, te.db, te.Lookup(bargs[0]), bargs, w)
	return compact(w.b.String())
}

// keysSorted runs a command whose reply is an array of bulk strings in no
// particular order and returns its elements sorted, space-separated.
func keysSorted(te *testEngine, args ...string) string {
	te.t.Helper()
	parts := strings.Fields(te.do(args...))
	if len(parts) == 0 || parts[0][0] != '*' {
		te.t.Fatalf("%v: not an array: %v", args, parts)
	}
	items := parts[1:]
	slices.Sort(items)
	return strings.Join(items, " ")
}

// keysInt runs a command that answers an integer and returns it.
func keysInt(te *testEngine, args ...string) int64 {
	te.t.Helper()
	r := te.do(args...)
	n, err := strconv.ParseInt(strings.TrimPrefix(r, ":"), 10, 64)
	if !strings.HasPrefix(r, ":") || err != nil {
		te.t.Fatalf("%v: not an integer reply: %q", args, r)
	}
	return n
}

// keysFakeList is a minimal list aggregate, so the generic commands can be
// tested on a non-string value whatever state the list type's file is in.
type keysFakeList struct{ items []string }

func (f *keysFakeList) MemSize() int64 { return int64(16 * len(f.items)) }
func (f *keysFakeList) Len() int       { return len(f.items) }
func (f *keysFakeList) Clone() Aggregate {
	return &keysFakeList{items: slices.Clone(f.items)}
}
func (f *keysFakeList) Encoding() string { return "listpack" }
func (f *keysFakeList) AppendBinary(b []byte) []byte {
	for _, s := range f.items {
		b = AppendString(b, s)
	}
	return b
}

func TestKeysDelExistsTouch(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "a", "1")
	te.expect("+OK", "SET", "b", "2")
	te.expect(":3", "EXISTS", "a", "a", "b", "nope")
	te.expect(":2", "TOUCH", "a", "b", "nope")
	te.expect(":2", "DEL", "a", "b", "nope")
	te.expect(":0", "EXISTS", "a", "b")
	te.expect("+OK", "SET", "c", "3")
	te.expect(":1", "UNLINK", "c", "c")
	te.expect(":0", "DEL", "c")
	te.expect("-ERR wrong number of arguments for 'del' command", "DEL")
	te.expect("-ERR wrong number of arguments for 'exists' command", "EXISTS")
	te.expect("-ERR wrong number of arguments for 'touch' command", "TOUCH")
}

func TestKeysType(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "s", "v")
	keysPut(te, 0, "l", &entry{kind: KindList, obj: &keysFakeList{items: []string{"x"}}})
	te.expect("+string", "TYPE", "s")
	te.expect("+list", "TYPE", "l")
	te.expect("+none", "TYPE", "nope")
	te.expect("-ERR wrong number of arguments for 'type' command", "TYPE", "a", "b")
}

func TestKeysExpiredInvisible(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect("+OK", "SET", "other", "v")
	te.expect(":1", "PEXPIREAT", "k", strconv.FormatInt(keysNow(te)+1000, 10))
	keysAdvance(te, 2000)
	te.expect("$-1", "GET", "k")
	te.expect(":0", "EXISTS", "k")
	te.expect(":0", "TOUCH", "k")
	te.expect("+none", "TYPE", "k")
	te.expect(":-2", "TTL", "k")
	if got := keysSorted(te, "KEYS", "*"); got != "other" {
		t.Errorf("KEYS * = %q", got)
	}
	te.expect("other", "RANDOMKEY")
	te.expect("$-1", "DUMP", "k")
	te.expect("$-1", "OBJECT", "ENCODING", "k")
	te.expect("-ERR no such key", "RENAME", "k", "k2")
	te.expect(":0", "COPY", "k", "k2")
	te.expect(":0", "MOVE", "k", "1")
	te.expect(":0", "PERSIST", "k")
	te.expect(":0", "DEL", "k")
}

func TestKeysKeys(t *testing.T) {
	te := newTestEngine(t)
	for _, k := range []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "foo"} {
		te.expect("+OK", "SET", k, "v")
	}
	tests := []struct{ pattern, want string }{
		{"*", "foo hallo heeeello hello hllo hxllo"},
		{"h?llo", "hallo hello hxllo"},
		{"h*llo", "hallo heeeello hello hllo hxllo"},
		{"h[ae]llo", "hallo hello"},
		{"h[^e]llo", "hallo hxllo"},
		{"h[a-b]llo", "hallo"},
		{"nomatch*", ""},
		{"foo", "foo"},
	}
	for _, tt := range tests {
		if got := keysSorted(te, "KEYS", tt.pattern); got != tt.want {
			t.Errorf("KEYS %s = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

// scanAll iterates SCAN to the end and returns every key seen, sorted.
func scanAll(te *testEngine, opts ...string) []string {
	te.t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; ; i++ {
		if i > 1000 {
			te.t.Fatal("SCAN does not terminate")
		}
		parts := strings.Fields(te.do(append([]string{"SCAN", cursor}, opts...)...))
		if len(parts) < 3 || parts[0] != "*2" || !strings.HasPrefix(parts[2], "*") {
			te.t.Fatalf("SCAN reply %v", parts)
		}
		cursor = parts[1]
		for _, k := range parts[3:] {
			seen[k] = true
		}
		if cursor == "0" {
			break
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestKeysScan(t *testing.T) {
	te := newTestEngine(t)
	var all []string
	for i := range 50 {
		k := "key:" + strconv.Itoa(i)
		all = append(all, k)
		te.expect("+OK", "SET", k, "v")
	}
	keysPut(te, 0, "list", &entry{kind: KindList, obj: &keysFakeList{items: []string{"x"}}})
	slices.Sort(all)
	if got := scanAll(te, "COUNT", "7", "MATCH", "key:*"); !slices.Equal(got, all) {
		t.Errorf("SCAN MATCH key:* = %v", got)
	}
	if got := scanAll(te, "match", "key:1?"); len(got) != 10 {
		t.Errorf("SCAN MATCH key:1? = %v", got)
	}
	if got := scanAll(te, "TYPE", "LIST"); !slices.Equal(got, []string{"list"}) {
		t.Errorf("SCAN TYPE list = %v", got)
	}
	if got := scanAll(te, "TYPE", "hash"); len(got) != 0 {
		t.Errorf("SCAN TYPE hash = %v", got)
	}
	te.expect(":1", "PEXPIREAT", "key:3", strconv.FormatInt(keysNow(te)+1000, 10))
	keysAdvance(te, 2000)
	if got := scanAll(te, "MATCH", "key:3"); len(got) != 0 {
		t.Errorf("SCAN shows an expired key: %v", got)
	}
	if got := scanAll(te); len(got) != 50 {
		t.Errorf("SCAN found %d keys, want 50", len(got))
	}

	empty := newTestEngine(t)
	empty.expect("*2 0 *0", "SCAN", "0")
	if got := empty.doRaw(3, "SCAN", "0"); got != "*2\r\n$1\r\n0\r\n*0\r\n" {
		t.Errorf("RESP3 SCAN = %q", got)
	}
}

func TestKeysScanErrors(t *testing.T) {
	te := newTestEngine(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"SCAN", "abc"}, "-ERR invalid cursor"},
		{[]string{"SCAN", " 1"}, "-ERR invalid cursor"},
		{[]string{"SCAN", "1x"}, "-ERR invalid cursor"},
		{[]string{"SCAN", "-"}, "-ERR invalid cursor"},
		{[]string{"SCAN", "18446744073709551616"}, "-ERR invalid cursor"},
		{[]string{"SCAN", "0", "COUNT", "0"}, "-ERR syntax error"},
		{[]string{"SCAN", "0", "COUNT", "-1"}, "-ERR syntax error"},
		{[]string{"SCAN", "0", "COUNT", "x"}, "-ERR value is not an integer or out of range"},
		{[]string{"SCAN", "0", "MATCH"}, "-ERR syntax error"},
		{[]string{"SCAN", "0", "FOO", "bar"}, "-ERR syntax error"},
		{[]string{"SCAN", "0", "COUNT", "10", "extra"}, "-ERR syntax error"},
		{[]string{"SCAN"}, "-ERR wrong number of arguments for 'scan' command"},
		{[]string{"SCAN", "0", "COUNT", "5", "MATCH", "*", "TYPE", "string"}, "*2 0 *0"},
		{[]string{"SCAN", "18446744073709551615"}, "*2 0 *0"},
	}
	for _, tt := range tests {
		te.expect(tt.want, tt.args...)
	}
}

func TestKeysParseCursor(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"", 0, true}, {"123", 123, true}, {"+7", 7, true}, {"007", 7, true},
		{"-1", 1<<64 - 1, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, {" 1", 0, false}, {"1 ", 0, false},
		{"+", 0, false}, {"0x10", 0, false}, {"5\x00junk", 5, true},
	}
	for _, tt := range tests {
		got, ok := parseCursor([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCursor(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestKeysParseScanArgs checks the helper HSCAN, SSCAN and ZSCAN use.
func TestKeysParseScanArgs(t *testing.T) {
	tests := []struct {
		args  []string
		match string
		count int
		err   string
	}{
		{[]string{"0"}, "*", 10, ""},
		{[]string{"5", "MATCH", "a*", "COUNT", "100"}, "a*", 100, ""},
		{[]string{"5", "match", "", "count", "1"}, "", 1, ""},
		{[]string{"0", "TYPE", "string"}, "", 0, "-ERR syntax error"},
		{[]string{"0", "COUNT", "0"}, "", 0, "-ERR syntax error"},
		{[]string{"0", "COUNT", "1.5"}, "", 0, "-ERR value is not an integer or out of range"},
		{[]string{"x"}, "", 0, "-ERR invalid cursor"},
	}
	for _, tt := range tests {
		w := &wire{proto: 2}
		c := &Ctx{W: w}
		args := make([][]byte, len(tt.args))
		for i, a := range tt.args {
			args[i] = []byte(a)
		}
		_, match, count, typ, ok := parseScanArgs(c, args)
		if got := compact(w.b.String()); got != tt.err || ok != (tt.err == "") {
			t.Errorf("%v: error %q ok=%v, want %q", tt.args, got, ok, tt.err)
			continue
		}
		if ok && (match != tt.match || count != tt.count || typ != "") {
			t.Errorf("%v: got %q %d %q", tt.args, match, count, typ)
		}
	}
}

func TestKeysRandomKey(t *testing.T) {
	te := newTestEngine(t)
	te.expect("$-1", "RANDOMKEY")
	te.expect("+OK", "SET", "only", "v")
	te.expect("only", "RANDOMKEY")
	te.expect("+OK", "SET", "two", "v")
	seen := map[string]bool{}
	for range 200 {
		seen[te.do("RANDOMKEY")] = true
	}
	if !seen["only"] || !seen["two"] || len(seen) != 2 {
		t.Errorf("RANDOMKEY returned %v", seen)
	}
	// A database of expired keys: RANDOMKEY must not loop and must not
	// return them, even when more than its draw budget are dead.
	for i := range 300 {
		k := "dead:" + strconv.Itoa(i)
		te.expect("+OK", "SET", k, "v")
		te.expect(":1", "PEXPIREAT", k, strconv.FormatInt(keysNow(te)+1000, 10))
	}
	te.expect(":1", "PEXPIREAT", "two", strconv.FormatInt(keysNow(te)+1000, 10))
	keysAdvance(te, 2000)
	for range 20 {
		te.expect("only", "RANDOMKEY")
	}
	te.expect(":1", "DEL", "only")
	te.expect("$-1", "RANDOMKEY")
	te.expect("-ERR wrong number of arguments for 'randomkey' command", "RANDOMKEY", "x")
}

// TestKeysTable checks the metadata COMMAND INFO reports.
func TestKeysTable(t *testing.T) {
	te := newTestEngine(t)
	tests := []struct {
		name  string
		arity int
		write bool
		keys  []string // args, then the expected key positions
		want  []int
	}{
		{"del", -2, true, []string{"del", "a", "b"}, []int{1, 2}},
		{"exists", -2, false, []string{"exists", "a"}, []int{1}},
		{"rename", 3, true, []string{"rename", "a", "b"}, []int{1, 2}},
		{"copy", -3, true, []string{"copy", "a", "b", "DB", "1"}, []int{1, 2}},
		{"object", -2, false, []string{"object", "encoding", "k"}, []int{2}},
		{"object", -2, false, []string{"object", "help"}, nil},
		{"scan", -2, false, []string{"scan", "0"}, nil},
		{"restore", -4, true, []string{"restore", "k", "0", "p"}, []int{1}},
		{"pexpireat", -3, true, []string{"pexpireat", "k", "1"}, []int{1}},
	}
	for _, tt := range tests {
		cmd := te.Lookup([]byte(tt.name))
		if cmd == nil {
			t.Errorf("%s missing", tt.name)
			continue
		}
		args := make([][]byte, len(tt.keys))
		for i, a := range tt.keys {
			args[i] = []byte(a)
		}
		if cmd.Arity != tt.arity || (cmd.Flags&FlagWrite != 0) != tt.write || !slices.Equal(cmd.Keys(args), tt.want) {
			t.Errorf("%s: arity %d write %v keys %v", tt.name, cmd.Arity, cmd.Flags&FlagWrite != 0, cmd.Keys(args))
		}
	}
}
