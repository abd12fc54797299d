package cache

import "testing"

func TestListQuick(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":3", "RPUSH", "l", "a", "b", "c")
	te.expect(":4", "LPUSH", "l", "z")
	te.expect("*4 z a b c", "LRANGE", "l", "0", "-1")
	te.expect("z", "LPOP", "l")
	te.expect("*2 c b", "RPOP", "l", "2")
	te.expect("a", "LINDEX", "l", "0")
	te.expect(":1", "LLEN", "l")
	te.expect("a", "LPOP", "l")
	te.expect(":0", "EXISTS", "l")
	te.expect("$-1", "LPOP", "l")
	te.expect("*-1", "LPOP", "l", "1")
	te.expect(":5", "RPUSH", "m", "a", "b", "a", "c", "a")
	te.expect("*3 :0 :2 :4", "LPOS", "m", "a", "COUNT", "0")
	te.expect(":4", "LPOS", "m", "a", "RANK", "-1")
	te.expect(":2", "LREM", "m", "-2", "a")
	te.expect("*3 a b c", "LRANGE", "m", "0", "-1")
	te.expect(":4", "LINSERT", "m", "BEFORE", "b", "x")
	te.expect("+OK", "LTRIM", "m", "1", "2")
	te.expect("*2 x b", "LRANGE", "m", "0", "-1")
	te.expect("b", "LMOVE", "m", "n", "RIGHT", "LEFT")
	te.expect("*2 m *1 x", "LMPOP", "2", "nope", "m", "LEFT", "COUNT", "5")
	te.expect("*2 n b", "BLPOP", "nope", "n", "0")
	te.expect("*-1", "BLPOP", "nope", "n", "0")
	te.expect("-ERR timeout is negative", "BLPOP", "n", "-1")
	te.expect("+OK", "SET", "s", "v")
	te.expect("-"+ErrWrongType, "LPUSH", "s", "a")
}
