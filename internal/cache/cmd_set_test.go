package cache

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ssSet runs a command and returns its array reply's elements sorted, in
// compact form, e.g. "*3 a b c".
func ssSet(te *testEngine, args ...string) string {
	te.t.Helper()
	parts := strings.Split(te.do(args...), " ")
	if len(parts) > 1 {
		slices.Sort(parts[1:])
	}
	return strings.Join(parts, " ")
}

func ssExpectSet(te *testEngine, want string, args ...string) {
	te.t.Helper()
	if got := ssSet(te, args...); got != want {
		te.t.Errorf("%s: got %q, want %q", strings.Join(args, " "), got, want)
	}
}

func TestSetBasic(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{":3", "SADD", "s", "a", "b", "c"},
		{":1", "SADD", "s", "a", "d", "d"},
		{":4", "SCARD", "s"},
		{":0", "SCARD", "nokey"},
		{":1", "SISMEMBER", "s", "a"},
		{":0", "SISMEMBER", "s", "z"},
		{":0", "SISMEMBER", "nokey", "a"},
		{"*3 :1 :0 :1", "SMISMEMBER", "s", "a", "z", "d"},
		{"*2 :0 :0", "SMISMEMBER", "nokey", "a", "b"},
		{":2", "SREM", "s", "a", "b", "z"},
		{":0", "SREM", "nokey", "a"},
		{":2", "SREM", "s", "c", "d"},
		{":0", "EXISTS", "s"}, // emptied sets are deleted
		{"*0", "SMEMBERS", "s"},
	})
	te.do("SADD", "s", "x", "y", "3")
	ssExpectSet(te, "*3 3 x y", "SMEMBERS", "s")
	if got := te.doRaw(3, "SMEMBERS", "nokey"); got != "~0\r\n" {
		t.Errorf("RESP3 SMEMBERS of a missing key = %q", got)
	}
	te.do("SADD", "one", "m")
	if got := te.doRaw(3, "SMEMBERS", "one"); got != "~1\r\n$1\r\nm\r\n" {
		t.Errorf("RESP3 SMEMBERS = %q", got)
	}
	// An intset answers in numeric order, as Redis's does.
	te.do("SADD", "ints", "10", "-5", "3", "100")
	te.expect("*4 -5 3 10 100", "SMEMBERS", "ints")
}

func TestSetErrors(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "str", "x")
	te.do("SADD", "s", "a")
	hsRun(te, [][]string{
		{"-ERR wrong number of arguments for 'sadd' command", "SADD", "s"},
		{wrongType, "SADD", "str", "a"},
		{wrongType, "SREM", "str", "a"},
		{wrongType, "SMEMBERS", "str"},
		{wrongType, "SISMEMBER", "str", "a"},
		{wrongType, "SMISMEMBER", "str", "a"},
		{wrongType, "SCARD", "str"},
		{wrongType, "SPOP", "str"},
		{wrongType, "SPOP", "str", "2"},
		{wrongType, "SRANDMEMBER", "str"},
		{wrongType, "SRANDMEMBER", "str", "2"},
		{wrongType, "SINTER", "s", "str"},
		{wrongType, "SINTER", "nokey", "str"}, // every key is type-checked
		{wrongType, "SUNION", "s", "str"},
		{wrongType, "SDIFF", "nokey", "str"},
		{wrongType, "SINTERCARD", "2", "s", "str"},
		{wrongType, "SINTERSTORE", "d", "s", "str"},
		{wrongType, "SSCAN", "str", "0"},
		{":0", "EXISTS", "d"},
		{"-ERR value is out of range, must be positive", "SPOP", "s", "-1"},
		{"-ERR value is out of range, must be positive", "SPOP", "s", "x"},
		{"-ERR syntax error", "SPOP", "s", "1", "2"},
		{"-ERR value is not an integer or out of range", "SRANDMEMBER", "s", "x"},
		{"-" + errCountRange, "SRANDMEMBER", "s", "-9223372036854775808"},
		{"-ERR syntax error", "SRANDMEMBER", "s", "1", "2"},
		{"x", "GET", "str"},
	})
}

func TestSetPopAndRandom(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"$-1", "SPOP", "nokey"},
		{"*0", "SPOP", "nokey", "3"},
		{"$-1", "SRANDMEMBER", "nokey"},
		{"*0", "SRANDMEMBER", "nokey", "3"},
		{":1", "SADD", "one", "m"},
		{"m", "SRANDMEMBER", "one"},
		{"*1 m", "SRANDMEMBER", "one", "5"},
		{"*3 m m m", "SRANDMEMBER", "one", "-3"},
		{"*0", "SRANDMEMBER", "one", "0"},
		{"*0", "SPOP", "one", "0"},
		{"m", "SPOP", "one"},
		{":0", "EXISTS", "one"},
	})
	if got := te.doRaw(3, "SPOP", "nokey", "2"); got != "~0\r\n" {
		t.Errorf("RESP3 SPOP count on a missing key = %q", got)
	}
	te.do("SADD", "two", "m")
	if got := te.doRaw(3, "SRANDMEMBER", "two", "2"); got != "*1\r\n$1\r\nm\r\n" {
		t.Errorf("RESP3 SRANDMEMBER count = %q", got) // an array: it may repeat
	}
	if got := te.doRaw(3, "SPOP", "two", "2"); got != "~1\r\n$1\r\nm\r\n" {
		t.Errorf("RESP3 SPOP count = %q", got)
	}

	// Every encoding, and every SPOP strategy (few, most, all).
	for _, n := range []int{20, 100, 400, 1000} {
		for _, count := range []int{1, 7, n / 2, n - 3, n, n + 2} {
			key := "s" + strconv.Itoa(n)
			members := make([]string, n)
			for i := range members {
				members[i] = strconv.Itoa(i)
				if n == 100 || n == 1000 {
					members[i] = "m" + members[i] // listpack / hashtable
				}
			}
			te.do("DEL", key)
			te.do(append([]string{"SADD", key}, members...)...)
			rnd := strings.Split(te.do("SRANDMEMBER", key, strconv.Itoa(count)), " ")[1:]
			if len(rnd) != min(count, n) || len(slices.Compact(slices.Sorted(slices.Values(rnd)))) != len(rnd) {
				t.Errorf("SRANDMEMBER %s %d: %d members or duplicates", key, count, len(rnd))
			}
			popped := strings.Split(te.do("SPOP", key, strconv.Itoa(count)), " ")[1:]
			if len(popped) != min(count, n) {
				t.Fatalf("SPOP %s %d: %d members", key, count, len(popped))
			}
			left := strings.Split(te.do("SMEMBERS", key), " ")[1:]
			if len(left)+len(popped) != n {
				t.Errorf("SPOP %s %d: %d popped + %d left", key, count, len(popped), len(left))
			}
			all := slices.Sorted(slices.Values(append(popped, left...)))
			if want := slices.Sorted(slices.Values(members)); !slices.Equal(all, want) {
				t.Errorf("SPOP %s %d: popped and left are not the set", key, count)
			}
			if count >= n {
				te.expect(":0", "EXISTS", key)
			}
		}
	}
	te.do("SADD", "r", "a", "b", "c")
	if got := strings.Split(te.do("SRANDMEMBER", "r", "-10"), " "); len(got) != 11 {
		t.Errorf("SRANDMEMBER -10: %v", got)
	}
}

// SPOP is a write: replaying the same log entry on two replicas must pop
// the same members.
func TestSetPopDeterministic(t *testing.T) {
	for _, n := range []int{50, 300, 2000} {
		var results []string
		for range 2 {
			te := newTestEngine(t)
			add := []string{"SADD", "s"}
			for i := range n {
				add = append(add, "m"+strconv.Itoa(i*7))
			}
			for i, args := range [][]string{add, {"SPOP", "s", "5"}, {"SPOP", "s"}, {"SPOP", "s", strconv.Itoa(n - 20)}} {
				b := make([][]byte, len(args))
				for j, a := range args {
					b[j] = []byte(a)
				}
				if err := te.Replay(uint64(i+1), encodeCommand(1000, 42+uint64(i), 0, b)); err != nil {
					t.Fatal(err)
				}
			}
			results = append(results, te.do("SMEMBERS", "s"))
		}
		if results[0] != results[1] {
			t.Errorf("n=%d: replicas differ:\n%s\n%s", n, results[0], results[1])
		}
	}
}

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
	te.expect("listpack", "OBJECT", "ENCODING", "d")
	te.do("SADD", "i1", "1", "2", "3")
	te.do("SADD", "i2", "2", "3", "4")
	te.expect(":2", "SINTERSTORE", "i3", "i1", "i2")
	te.expect("intset", "OBJECT", "ENCODING", "i3")
}

func TestSetScan(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"*2 0 *0", "SSCAN", "nokey", "0"},
		{":3", "SADD", "s", "a1", "b1", "a2"},
		{"*2 0 *3 a1 b1 a2", "SSCAN", "s", "0"},
		{"*2 0 *2 a1 a2", "SSCAN", "s", "0", "MATCH", "a*", "COUNT", "1"},
		{":2", "SADD", "i", "5", "1"},
		{"*2 0 *2 1 5", "SSCAN", "i", "0"},
		{"-ERR invalid cursor", "SSCAN", "s", "x"},
		{"-ERR syntax error", "SSCAN", "s", "0", "COUNT", "0"},
		{"-ERR syntax error", "SSCAN", "s", "0", "TYPE", "set"},
	})
	args := []string{"SADD", "big"}
	for i := range 600 {
		args = append(args, "m"+strconv.Itoa(i))
	}
	te.do(args...)
	seen := map[string]bool{}
	cursor, calls := "0", 0
	for {
		parts := strings.Split(te.do("SSCAN", "big", cursor, "COUNT", "25", "MATCH", "m1*"), " ")
		cursor = parts[1]
		for _, m := range parts[3:] {
			seen[m] = true
		}
		if calls++; cursor == "0" || calls > 1000 {
			break
		}
	}
	// m1, m10–m19, m100–m199: 111 members match.
	if len(seen) != 111 || calls < 5 {
		t.Errorf("SSCAN saw %d members in %d calls", len(seen), calls)
	}
}
