package cache

import (
	"strconv"
	"testing"
)

func TestSetMove(t *testing.T) {
	te := newTestEngine(t)
	te.do("SADD", "src", "a", "b")
	te.do("SADD", "dst", "c")
	te.do("HSET", "h", "f", "v")
	hsRun(te, [][]string{
		{":1", "SMOVE", "src", "dst", "a"},
		{":0", "SMOVE", "src", "dst", "zz"},
		{":0", "SMOVE", "nokey", "dst", "a"},
		{":0", "SMOVE", "nokey", "h", "a"}, // a missing source answers before the type check
		{wrongType, "SMOVE", "h", "dst", "a"},
		{wrongType, "SMOVE", "src", "h", "b"},
		{":1", "SMOVE", "src", "src", "b"},
		{":0", "SMOVE", "src", "src", "zz"},
		{":1", "SMOVE", "src", "new", "b"},
		{":0", "EXISTS", "src"},
		{"*1 b", "SMEMBERS", "new"},
		{":1", "SADD", "src", "c"},
		{":1", "SMOVE", "src", "dst", "c"}, // already in dst
		{":0", "EXISTS", "src"},
	})
	ssExpectSet(te, "*2 a c", "SMEMBERS", "dst")
}

func TestSetAlgebra(t *testing.T) {
	te := newTestEngine(t)
	te.do("SADD", "a", "1", "2", "3", "4", "x")
	te.do("SADD", "b", "2", "3", "x", "y")
	te.do("SADD", "c", "3", "x", "z")
	for _, tc := range [][]string{
		{"*2 3 x", "SINTER", "a", "b", "c"},
		{"*5 1 2 3 4 x", "SINTER", "a"},
		{"*0", "SINTER", "a", "nokey"},
		{"*7 1 2 3 4 x y z", "SUNION", "a", "b", "c"},
		{"*4 2 3 x y", "SUNION", "nokey", "b"},
		{"*2 1 4", "SDIFF", "a", "b", "c"},
		{"*5 1 2 3 4 x", "SDIFF", "a", "nokey"},
		{"*0", "SDIFF", "nokey", "a"},
		{"*0", "SDIFF", "a", "a"},
	} {
		ssExpectSet(te, tc[0], tc[1:]...)
	}
	if got := te.doRaw(3, "SINTER", "a", "nokey"); got != "~0\r\n" {
		t.Errorf("RESP3 empty SINTER = %q", got)
	}
	if got := te.doRaw(3, "SDIFF", "c", "a", "b"); got != "~1\r\n$1\r\nz\r\n" {
		t.Errorf("RESP3 SDIFF = %q", got)
	}
	hsRun(te, [][]string{
		{":2", "SINTERCARD", "3", "a", "b", "c"},
		{":1", "SINTERCARD", "3", "a", "b", "c", "LIMIT", "1"},
		{":2", "SINTERCARD", "3", "a", "b", "c", "limit", "0"},
		{":3", "SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "5"},
		{":0", "SINTERCARD", "2", "a", "nokey"},
		{"-ERR numkeys should be greater than 0", "SINTERCARD", "0", "a"},
		{"-ERR numkeys should be greater than 0", "SINTERCARD", "x", "a"},
		{"-ERR Number of keys can't be greater than number of args", "SINTERCARD", "3", "a", "b"},
		{"-ERR LIMIT can't be negative", "SINTERCARD", "1", "a", "LIMIT", "-1"},
		{"-ERR LIMIT can't be negative", "SINTERCARD", "1", "a", "LIMIT", "x"},
		{"-ERR syntax error", "SINTERCARD", "1", "a", "LIMIT"},
		{"-ERR syntax error", "SINTERCARD", "1", "a", "foo"},

		{":2", "SINTERSTORE", "d", "a", "b", "c"},
		{":5", "SUNIONSTORE", "u", "b", "c"},
		{":2", "SDIFFSTORE", "df", "a", "b"},
		{":2", "SINTERSTORE", "a", "a", "c"}, // the destination may be a source
		{"+OK", "SET", "str", "v"},
		{":1", "SDIFFSTORE", "str", "c", "a"}, // overwrites any type
		{"*1 z", "SMEMBERS", "str"},
		{":0", "SINTERSTORE", "str", "a", "nokey"}, // an empty result deletes
		{":0", "EXISTS", "str"},
		{":0", "SUNIONSTORE", "u2", "nokey"},
		{":0", "EXISTS", "u2"},
	})
	ssExpectSet(te, "*2 3 x", "SMEMBERS", "d")
	ssExpectSet(te, "*5 2 3 x y z", "SMEMBERS", "u")
	ssExpectSet(te, "*2 1 4", "SMEMBERS", "df")
	ssExpectSet(te, "*2 3 x", "SMEMBERS", "a")
	te.expect("hashtable", "OBJECT", "ENCODING", "d")
	te.do("SADD", "i1", "1", "2", "3")
	te.do("SADD", "i2", "2", "3", "4")
	te.expect(":2", "SINTERSTORE", "i3", "i1", "i2")
	te.expect("intset", "OBJECT", "ENCODING", "i3")
}

// Order, as Redis 7.0.15 answers for a hashtable holding only integers
// (513 integers, then all but 1–10 removed): SMEMBERS, SINTER and
// SRANDMEMBER with a count covering the set walk the set itself; SUNION,
// SDIFF and SPOP of the whole set build a new intset, so they answer sorted.
func TestSetAlgebraOrder(t *testing.T) {
	te := newTestEngine(t)
	ssAddN(te, "h", "", 1, 514)
	for i := 11; i < 514; i++ {
		te.do("SREM", "h", strconv.Itoa(i))
	}
	te.expect("hashtable", "OBJECT", "ENCODING", "h")
	walk := te.do("SMEMBERS", "h")
	const sorted = "*10 1 2 3 4 5 6 7 8 9 10"
	if walk == sorted {
		t.Logf("the hashtable walks in sorted order; the checks below are weaker")
	}
	hsRun(te, [][]string{
		{walk, "SINTER", "h", "h"},
		{walk, "SRANDMEMBER", "h", "100"},
		{sorted, "SUNION", "h", "nokey"},
		{sorted, "SDIFF", "h", "nokey"},
		{sorted, "SPOP", "h", "100"},
		{":0", "EXISTS", "h"},
	})
	// An intset answers sorted everywhere.
	te.do("SADD", "i", "3", "1", "2")
	hsRun(te, [][]string{
		{"*3 1 2 3", "SMEMBERS", "i"},
		{"*3 1 2 3", "SINTER", "i", "i"},
		{"*3 1 2 3", "SRANDMEMBER", "i", "3"},
		{"*3 1 2 3", "SRANDMEMBER", "i", "30"},
		{"*3 1 2 3", "SUNION", "i", "nokey"},
		{"*3 1 2 3", "SPOP", "i", "3"},
	})
}
