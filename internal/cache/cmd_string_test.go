package cache

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scripts in the string and bit tests were recorded against Redis 7.0.15:
// each line is "COMMAND args… => reply" with the reply in the harness's
// compact form. Arguments and replies in double quotes are Go-quoted (binary
// bytes, spaces, empty strings). "!list key" stores a list-typed key (for
// WRONGTYPE checks) without depending on the list commands.

// runScript runs a recorded script against te.
func runScript(t *testing.T, te *testEngine, script string) {
	t.Helper()
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if key, ok := strings.CutPrefix(line, "!list "); ok {
			putWrongType(te, key)
			continue
		}
		cmd, want, ok := strings.Cut(line, " =>")
		if !ok {
			t.Fatalf("bad script line %q", line)
		}
		want = strings.TrimSpace(want)
		if strings.HasPrefix(want, `"`) {
			var err error
			if want, err = strconv.Unquote(want); err != nil {
				t.Fatalf("bad reply in %q: %v", line, err)
			}
		}
		te.expect(want, splitScriptArgs(t, cmd)...)
	}
}

// splitScriptArgs splits on spaces, honouring Go-quoted arguments.
func splitScriptArgs(t *testing.T, s string) []string {
	t.Helper()
	var args []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] != '"' {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			args = append(args, s[:end])
			s = s[end:]
			continue
		}
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		a, err := strconv.Unquote(s[:end+1])
		if err != nil {
			t.Fatalf("bad argument in %q: %v", s, err)
		}
		args = append(args, a)
		s = s[end+1:]
	}
	return args
}

// putWrongType stores a list-kind key with no value: enough for WRONGTYPE.
func putWrongType(te *testEngine, key string) {
	te.mu.Lock()
	defer te.mu.Unlock()
	te.ks.dbs[te.db].keys.Set(key, &entry{kind: KindList})
	te.ks.used += entryOverhead + int64(len(key))
}

// entryOf returns the stored entry under key, or nil.
func entryOf(te *testEngine, key string) *entry {
	te.mu.RLock()
	defer te.mu.RUnlock()
	return te.ks.dbs[te.db].peek(key)
}

// expOf returns key's absolute expiry (0: none; -2: missing).
func expOf(te *testEngine, key string) int64 {
	if e := entryOf(te, key); e != nil {
		return e.exp
	}
	return -2
}

func TestStringSetFamily(t *testing.T) {
	runScript(t, newTestEngine(t), scriptSet)
}

func TestStringSetExpiry(t *testing.T) {
	te := newTestEngine(t)
	now := time.Now().UnixMilli()
	inRange := func(key string, lo, hi int64) {
		t.Helper()
		if exp := expOf(te, key); exp < lo || exp > hi {
			t.Errorf("%s: expiry %d not in [%d, %d]", key, exp, lo, hi)
		}
	}
	te.expect("+OK", "SET", "k", "v", "EX", "100")
	inRange("k", now+100_000, now+101_000)
	te.expect("+OK", "SET", "k", "v", "KEEPTTL")
	inRange("k", now+100_000, now+101_000)
	te.expect("v", "SET", "k", "v", "XX", "KEEPTTL", "GET")
	inRange("k", now+100_000, now+101_000)
	te.expect("+OK", "SET", "k", "v")
	inRange("k", 0, 0)
	te.expect("+OK", "SET", "k", "v", "px", "5000")
	inRange("k", now+5000, now+6000)
	at := strconv.FormatInt(now/1000+500, 10)
	te.expect("+OK", "SET", "k", "v", "EXAT", at)
	inRange("k", (now/1000+500)*1000, (now/1000+500)*1000)
	te.expect("+OK", "SET", "k", "v", "PXAT", strconv.FormatInt(now+7777, 10))
	inRange("k", now+7777, now+7777)
	te.expect("+OK", "SETEX", "k", "50", "v")
	inRange("k", now+50_000, now+51_000)
	te.expect("+OK", "PSETEX", "k", "50", "v")
	inRange("k", now+50, now+1050)
	te.expect("v", "GETSET", "k", "w")
	inRange("k", 0, 0)

	// GETEX sets, replaces and removes the TTL.
	te.expect("w", "GETEX", "k", "EX", "30")
	inRange("k", now+30_000, now+31_000)
	te.expect("w", "GETEX", "k")
	inRange("k", now+30_000, now+31_000)
	te.expect("w", "GETEX", "k", "PXAT", strconv.FormatInt(now+99_000, 10))
	inRange("k", now+99_000, now+99_000)
	te.expect("w", "GETEX", "k", "PERSIST")
	inRange("k", 0, 0)
	te.expect("w", "GETEX", "k", "PX", "1234")
	inRange("k", now+1234, now+2234)

	// MSET and MSETNX clear TTLs as SET does; SETNX on an existing key keeps it.
	te.expect("+OK", "MSET", "k", "x")
	inRange("k", 0, 0)
	te.expect("+OK", "SET", "k", "v", "EX", "100")
	te.expect(":0", "SETNX", "k", "z")
	inRange("k", now+100_000, now+101_000)
	te.expect("$-1", "SET", "k", "z", "NX", "EX", "5")
	inRange("k", now+100_000, now+101_000)

	// An expired key is missing: NX succeeds, XX fails, GET returns nil.
	te.expect("+OK", "SET", "old", "v", "PX", "1")
	deadline := time.Now().Add(5 * time.Second)
	for te.do("GET", "old") != "$-1" && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	te.expect("$-1", "SET", "old", "x", "XX", "GET")
	te.expect("+OK", "SET", "old", "x", "NX")
	te.expect("x", "GET", "old")
	inRange("old", 0, 0)
}

// TestStringExpireRewrite checks that SETEX/PSETEX and SET EX/PX reach the
// log as absolute times and that both forms give the same entry.
func TestStringExpireRewrite(t *testing.T) {
	te := newTestEngine(t)
	now := time.Now().UnixMilli()
	cmd := te.Lookup([]byte("setex"))
	out := absoluteExpiry(cmd, [][]byte{[]byte("SETEX"), []byte("k"), []byte("10"), []byte("v")}, now)
	want := "SET k v PXAT " + strconv.FormatInt(now+10_000, 10)
	if got := string(joinArgs(out)); got != want {
		t.Errorf("rewrite: got %q, want %q", got, want)
	}
}

func joinArgs(a [][]byte) []byte {
	var b []byte
	for i, x := range a {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, x...)
	}
	return b
}

// TestStringStrictIntegers holds the cases where Redis's string2ll refuses
// what strconv accepts. They need two core fixes (parseInt refusing a
// leading '+', absoluteExpiry parsing with parseInt) and are skipped until
// those land.
func TestStringStrictIntegers(t *testing.T) {
	if _, ok := parseInt([]byte("+1")); ok {
		t.Skip("parse.go: parseInt accepts a leading '+' (core fix pending)")
	}
	te := newTestEngine(t)
	te.expect("+OK", "SET", "n", "1")
	te.expect("-ERR value is not an integer or out of range", "INCRBY", "n", "+1")
	te.expect("-ERR value is not an integer or out of range", "SET", "k", "v", "EX", "010")
	te.expect("-ERR value is not an integer or out of range", "SET", "k", "v", "PX", "+5")
	te.expect("-ERR value is not an integer or out of range", "SETEX", "k", "+5", "v")
	te.expect("-ERR value is not an integer or out of range", "GETEX", "n", "EX", "010")
	te.expect(":0", "EXISTS", "k")
	if got := stringEncoding(&entry{kind: KindString, str: []byte("+1")}); got != "embstr" {
		t.Errorf("stringEncoding(+1) = %q", got)
	}
}

func TestStringEncoding(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{"0", "int"}, {"-12345", "int"}, {"9223372036854775807", "int"},
		{"-9223372036854775808", "int"}, {"9223372036854775808", "embstr"},
		{"01", "embstr"}, {" 1", "embstr"}, {"", "embstr"},
		{"hello", "embstr"}, {strings.Repeat("x", 44), "embstr"},
		{strings.Repeat("x", 45), "raw"}, {strings.Repeat("1", 45), "raw"},
	} {
		if got := stringEncoding(&entry{kind: KindString, str: []byte(tc.v)}); got != tc.want {
			t.Errorf("stringEncoding(%q) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestStringNoAliasing checks that stored values own exact-size buffers, not
// the request's argument buffers.
func TestStringNoAliasing(t *testing.T) {
	te := newTestEngine(t)
	for _, args := range [][]string{
		{"SET", "k", "value"}, {"GETSET", "k", "value"}, {"MSET", "k", "value"},
		{"SETNX", "n", "value"}, {"SETEX", "k", "100", "value"}, {"APPEND", "a", "value"},
	} {
		bargs := make([][]byte, len(args))
		for i, a := range args {
			bargs[i] = append(make([]byte, 0, 64), a...)
		}
		w := &wire{}
		te.Exec(0, te.Lookup(bargs[0]), bargs, w)
		key := args[1]
		e := entryOf(te, key)
		if e == nil || string(e.str) != "value" {
			t.Fatalf("%v: stored %v", args, e)
		}
		if cap(e.str) != len(e.str) {
			t.Errorf("%v: cap %d for len %d", args, cap(e.str), len(e.str))
		}
		bargs[len(bargs)-1][0] = 'X'
		if string(e.str) != "value" {
			t.Errorf("%v: stored value aliases the argument", args)
		}
		te.expect(":1", "DEL", key)
	}
}

// TestStringMemoryAccounting checks that used memory returns to its start
// after values are created, grown, replaced and deleted.
func TestStringMemoryAccounting(t *testing.T) {
	te := newTestEngine(t)
	base := te.UsedMemory()
	te.expect("+OK", "SET", "k", strings.Repeat("x", 100))
	if got := te.UsedMemory() - base; got != entryOverhead+1+100 {
		t.Errorf("after SET: used grew by %d", got)
	}
	te.expect(":200", "APPEND", "k", strings.Repeat("y", 100))
	te.expect(":1000", "SETRANGE", "k", "999", "z")
	te.expect(":0", "SETBIT", "k", "20000", "1")
	te.expect(":1", "INCR", "n")
	te.expect("1.5", "INCRBYFLOAT", "f", "1.5")
	te.expect(":2501", "BITOP", "NOT", "b", "k")
	te.expect("*1 :0", "BITFIELD", "bf", "SET", "u8", "#100", "1")
	te.expect("+OK", "SET", "k", "short")
	if got, want := te.UsedMemory()-base, int64(5*entryOverhead+len("k")+len("n")+len("f")+len("b")+len("bf")+5+1+3+2501+101); got != want {
		t.Errorf("used grew by %d, want %d", got, want)
	}
	te.expect(":5", "DEL", "k", "n", "f", "b", "bf")
	if got := te.UsedMemory(); got != base {
		t.Errorf("used %d after deleting everything, want %d", got, base)
	}
}

const scriptSet = `
	FLUSHALL => +OK
	SET k v => +OK
	GET k => v
	GET nokey => $-1
	SET k v2 NX => $-1
	SET k v2 XX => +OK
	GET k => v2
	SET new v XX => $-1
	GET new => $-1
	SET new v NX => +OK
	SET k v3 GET => v2
	SET missing v GET => $-1
	SET k v4 NX GET => v3
	GET k => v3
	SET k2 v XX GET => $-1
	EXISTS k2 => :0
	SET k v NX XX => -ERR syntax error
	SET k v XX NX => -ERR syntax error
	SET k v EX 10 PX 100 => -ERR syntax error
	SET k v PX 100 EX 10 => -ERR syntax error
	SET k v EX 10 KEEPTTL => -ERR syntax error
	SET k v KEEPTTL PXAT 100 => -ERR syntax error
	SET k v EXAT 100 EX 10 => -ERR syntax error
	SET k v PERSIST => -ERR syntax error
	SET k v EX => -ERR syntax error
	SET k v FOO => -ERR syntax error
	SET k v EX abc => -ERR value is not an integer or out of range
	SET k v EX 0 => -ERR invalid expire time in 'set' command
	SET k v EX -5 => -ERR invalid expire time in 'set' command
	SET k v PX 0 => -ERR invalid expire time in 'set' command
	SET k v EXAT 0 => -ERR invalid expire time in 'set' command
	SET k v PXAT -1 => -ERR invalid expire time in 'set' command
	SET k v EX 9223372036854775807 => -ERR invalid expire time in 'set' command
	SET k v PX 9223372036854775807 => -ERR invalid expire time in 'set' command
	SET k v EX 10.5 => -ERR value is not an integer or out of range
	set k v ex 0 => -ERR invalid expire time in 'set' command
	SeT k v Px 0 => -ERR invalid expire time in 'set' command
	SET k v nx ex 100 get => v3
	SET k v KEEPTTL => +OK
	SET k v PXAT 1 => +OK
	EXISTS k => :0
	SET k v EXAT 1 GET => $-1
	SET k v => +OK
	SET k v PXAT 1 GET => v
	EXISTS k => :0
	!list list
	SET list v GET => -WRONGTYPE Operation against a key holding the wrong kind of value
	SET list v NX GET => -WRONGTYPE Operation against a key holding the wrong kind of value
	GET list => -WRONGTYPE Operation against a key holding the wrong kind of value
	SET list v => +OK
	GET list => v
	!list list
	SET list v XX => +OK
	GET list => v
	SETNX sn a => :1
	SETNX sn b => :0
	GET sn => a
	SETEX se 0 v => -ERR invalid expire time in 'setex' command
	SETEX se -1 v => -ERR invalid expire time in 'setex' command
	SETEX se abc v => -ERR value is not an integer or out of range
	SETEX se 9223372036854775807 v => -ERR invalid expire time in 'setex' command
	PSETEX se 0 v => -ERR invalid expire time in 'psetex' command
	PSETEX se x v => -ERR value is not an integer or out of range
	SETEX se 100 v => +OK
	GET se => v
	PSETEX se 100000 v2 => +OK
	GET se => v2
	GETSET gs a => $-1
	GETSET gs b => a
	GET gs => b
	!list l2
	GETSET l2 b => -WRONGTYPE Operation against a key holding the wrong kind of value
	GETDEL gs => b
	GETDEL gs => $-1
	GETDEL l2 => -WRONGTYPE Operation against a key holding the wrong kind of value
	MGET k gs l2 nokey sn => *5 $-1 $-1 $-1 $-1 a
	MSET a 1 b 2 c 3 => +OK
	MGET a b c => *3 1 2 3
	MSET a 1 b => -ERR wrong number of arguments for 'mset' command
	MSET a => -ERR wrong number of arguments for 'mset' command
	MSETNX a 1 x 2 => :0
	MGET x => *1 $-1
	MSETNX x 1 y 2 => :1
	MGET x y => *2 1 2
	MSETNX q 1 q 2 => :1
	GET q => 2
	MSET a 1 a 2 => +OK
	GET a => 2
	mset a 1 b => -ERR wrong number of arguments for 'mset' command
	msetnx a => -ERR wrong number of arguments for 'msetnx' command
	GETEX nokey => $-1
	GETEX k => $-1
	GETEX a EX 100 => 2
	GETEX a PERSIST => 2
	GETEX a PERSIST EX 10 => -ERR syntax error
	GETEX a EX 10 PERSIST => -ERR syntax error
	GETEX a EX 10 PX 10 => -ERR syntax error
	GETEX a KEEPTTL => -ERR syntax error
	GETEX a NX => -ERR syntax error
	GETEX a GET => -ERR syntax error
	GETEX a EX 0 => -ERR invalid expire time in 'getex' command
	GETEX a EX abc => -ERR value is not an integer or out of range
	GETEX nokey EX 0 => $-1
	GETEX l2 EX 0 => -WRONGTYPE Operation against a key holding the wrong kind of value
	!list l3
	GETEX l3 EX 0 => -WRONGTYPE Operation against a key holding the wrong kind of value
	GETEX l3 => -WRONGTYPE Operation against a key holding the wrong kind of value
	GETEX a PXAT 1 => 2
	EXISTS a => :0
	GETEX b EXAT 1 => 2
	GET b => $-1
	GET => -ERR wrong number of arguments for 'get' command
	SET k => -ERR wrong number of arguments for 'set' command
	GETEX => -ERR wrong number of arguments for 'getex' command
	GETDEL a b => -ERR wrong number of arguments for 'getdel' command
`
