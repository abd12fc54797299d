package cache

import (
	"strings"
	"testing"
)

func TestStringRanges(t *testing.T) {
	runScript(t, newTestEngine(t), scriptRange)
}

func TestStringLcsResp3(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "MSET", "k1", "ohmytext", "k2", "mynewtext")
	const want = "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
	if got := te.doRaw(3, "LCS", "k1", "k2", "IDX", "WITHMATCHLEN"); got != want {
		t.Errorf("LCS IDX in RESP3:\n got %q\nwant %q", got, want)
	}
}

func TestStringLcsLarge(t *testing.T) {
	te := newTestEngine(t)
	a := strings.Repeat("ab", 500)
	b := strings.Repeat("ba", 500)
	te.expect("+OK", "MSET", "a", a, "b", b)
	te.expect(":999", "LCS", "a", "b", "LEN")
	// A table over proto-max-bulk-len is refused before it is allocated.
	te.expect(":12000", "SETRANGE", "big1", "11999", "x")
	te.expect(":12000", "SETRANGE", "big2", "11999", "x")
	te.expect("-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len", "LCS", "big1", "big2", "LEN")
}

const scriptRange = `
	FLUSHALL => +OK
	APPEND a hello => :5
	APPEND a " world" => :11
	GET a => hello world
	STRLEN a => :11
	STRLEN nokey => :0
	APPEND a "" => :11
	!list l
	APPEND l x => -WRONGTYPE Operation against a key holding the wrong kind of value
	STRLEN l => -WRONGTYPE Operation against a key holding the wrong kind of value
	GETRANGE a 0 4 => hello
	GETRANGE a -5 -1 => world
	GETRANGE a 0 -1 => hello world
	GETRANGE a 0 100 => hello world
	GETRANGE a 5 3 => 
	GETRANGE a -100 2 => hel
	GETRANGE a -1 -5 => 
	GETRANGE a -3 -100 => 
	GETRANGE a 100 200 => 
	GETRANGE a x 1 => -ERR value is not an integer or out of range
	GETRANGE a 0 1.5 => -ERR value is not an integer or out of range
	GETRANGE nokey 0 -1 => 
	GETRANGE l 0 -1 => -WRONGTYPE Operation against a key holding the wrong kind of value
	GETRANGE nokey x 1 => -ERR value is not an integer or out of range
	SUBSTR a 6 -1 => world
	SET e "" => +OK
	GETRANGE e 0 -1 => 
	GETRANGE e -1 0 => 
	SETRANGE a 6 WORLD => :11
	GET a => hello WORLD
	SETRANGE a 20 x => :21
	GET a => "hello WORLD\x00\x00\x00\x00\x00\x00\x00\x00\x00x"
	STRLEN a => :21
	SETRANGE new 3 abc => :6
	GET new => "\x00\x00\x00abc"
	SETRANGE new2 0 "" => :0
	EXISTS new2 => :0
	SETRANGE a 0 "" => :21
	SETRANGE a -1 x => -ERR offset is out of range
	SETRANGE a x x => -ERR value is not an integer or out of range
	SETRANGE l 0 x => -WRONGTYPE Operation against a key holding the wrong kind of value
	SETRANGE a 536870912 x => -ERR string exceeds maximum allowed size (proto-max-bulk-len)
	SETRANGE a 536870911 xx => -ERR string exceeds maximum allowed size (proto-max-bulk-len)
	SETRANGE nokey 536870912 x => -ERR string exceeds maximum allowed size (proto-max-bulk-len)
	SETRANGE nokey 536870912 "" => :0
	SETRANGE l 536870912 "" => -WRONGTYPE Operation against a key holding the wrong kind of value
	SET k1 ohmytext => +OK
	SET k2 mynewtext => +OK
	LCS k1 k2 => mytext
	LCS k1 k2 LEN => :6
	LCS k1 k2 IDX => *4 matches *2 *2 *2 :4 :7 *2 :5 :8 *2 *2 :2 :3 *2 :0 :1 len :6
	LCS k1 k2 IDX MINMATCHLEN 4 => *4 matches *1 *2 *2 :4 :7 *2 :5 :8 len :6
	LCS k1 k2 IDX MINMATCHLEN 4 WITHMATCHLEN => *4 matches *1 *3 *2 :4 :7 *2 :5 :8 :4 len :6
	LCS k1 k2 IDX WITHMATCHLEN => *4 matches *2 *3 *2 :4 :7 *2 :5 :8 :4 *3 *2 :2 :3 *2 :0 :1 :2 len :6
	LCS k1 k2 IDX MINMATCHLEN -3 => *4 matches *2 *2 *2 :4 :7 *2 :5 :8 *2 *2 :2 :3 *2 :0 :1 len :6
	LCS k1 k2 LEN IDX => -ERR If you want both the length and indexes, please just use IDX.
	LCS k1 k2 idx len => -ERR If you want both the length and indexes, please just use IDX.
	LCS k1 k2 MINMATCHLEN => -ERR syntax error
	LCS k1 k2 MINMATCHLEN x => -ERR value is not an integer or out of range
	LCS k1 k2 FOO => -ERR syntax error
	LCS k1 nokey => 
	LCS k1 nokey LEN => :0
	LCS k1 nokey IDX => *4 matches *0 len :0
	LCS nokey nokey2 IDX WITHMATCHLEN => *4 matches *0 len :0
	LCS k1 l => -ERR The specified keys must contain string values
	LCS l nokey LEN => -ERR The specified keys must contain string values
	SET x1 ABCBDAB => +OK
	SET x2 BDCABA => +OK
	LCS x1 x2 => BDAB
	LCS x1 x2 IDX WITHMATCHLEN => *4 matches *2 *3 *2 :5 :6 *2 :3 :4 :2 *3 *2 :3 :4 *2 :0 :1 :2 len :4
	LCS k1 k2 WITHMATCHLEN => mytext
	LCS k1 => -ERR wrong number of arguments for 'lcs' command
	SET r1 aaaa => +OK
	SET r2 aa => +OK
	LCS r1 r2 IDX => *4 matches *1 *2 *2 :2 :3 *2 :0 :1 len :2
	LCS r2 r1 IDX => *4 matches *1 *2 *2 :0 :1 *2 :2 :3 len :2
`
