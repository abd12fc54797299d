package cache

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hsRun runs steps of {want, args...} in order.
func hsRun(te *testEngine, steps [][]string) {
	te.t.Helper()
	for _, s := range steps {
		te.expect(s[0], s[1:]...)
	}
}

// hsSorted runs a command whose reply is an array of bulk strings in no
// defined order and returns the elements sorted.
func hsSorted(te *testEngine, args ...string) []string {
	te.t.Helper()
	parts := strings.Split(te.do(args...), " ")
	if !strings.HasPrefix(parts[0], "*") {
		te.t.Fatalf("%v: not an array: %v", args, parts)
	}
	out := parts[1:]
	slices.Sort(out)
	return out
}

const wrongType = "-" + ErrWrongType

func TestHashBasic(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{":2", "HSET", "h", "a", "1", "b", "2"},
		{":1", "HSET", "h", "a", "10", "c", "3"},
		{"10", "HGET", "h", "a"},
		{"$-1", "HGET", "h", "zz"},
		{"$-1", "HGET", "nokey", "a"},
		{"*3 10 $-1 3", "HMGET", "h", "a", "zz", "c"},
		{"*2 $-1 $-1", "HMGET", "nokey", "a", "b"},
		{"+OK", "HMSET", "h", "d", "4"},
		{":0", "HSETNX", "h", "d", "5"},
		{":1", "HSETNX", "h", "e", "5"},
		{"4", "HGET", "h", "d"},
		{":5", "HLEN", "h"},
		{":0", "HLEN", "nokey"},
		{":2", "HSTRLEN", "h", "a"},
		{":0", "HSTRLEN", "h", "zz"},
		{":0", "HSTRLEN", "nokey", "a"},
		{":1", "HEXISTS", "h", "a"},
		{":0", "HEXISTS", "h", "zz"},
		{":0", "HEXISTS", "nokey", "a"},
		{":2", "HDEL", "h", "a", "b", "zz", "a"},
		{":0", "HDEL", "nokey", "a"},
		{":3", "HDEL", "h", "c", "d", "e"},
		{":0", "EXISTS", "h"}, // emptied hashes are deleted
		{":1", "HSETNX", "n", "f", "v"},
		{":1", "EXISTS", "n"},
	})
}

func TestHashErrors(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "s", "x")
	hsRun(te, [][]string{
		{"-ERR wrong number of arguments for 'hset' command", "HSET", "h", "a"},
		{"-ERR wrong number of arguments for 'hset' command", "HSET", "h", "a", "1", "b"},
		{"-ERR wrong number of arguments for 'hmset' command", "HMSET", "h", "a", "1", "b"},
		{"-ERR wrong number of arguments for 'hget' command", "HGET", "h"},
		{":0", "EXISTS", "h"},
		{wrongType, "HSET", "s", "a", "1"},
		{wrongType, "HSETNX", "s", "a", "1"},
		{wrongType, "HGET", "s", "a"},
		{wrongType, "HMGET", "s", "a"},
		{wrongType, "HDEL", "s", "a"},
		{wrongType, "HLEN", "s"},
		{wrongType, "HSTRLEN", "s", "a"},
		{wrongType, "HEXISTS", "s", "a"},
		{wrongType, "HKEYS", "s"},
		{wrongType, "HVALS", "s"},
		{wrongType, "HGETALL", "s"},
		{wrongType, "HINCRBY", "s", "a", "1"},
		{wrongType, "HINCRBYFLOAT", "s", "a", "1"},
		{wrongType, "HRANDFIELD", "s"},
		{wrongType, "HRANDFIELD", "s", "1"},
		{wrongType, "HSCAN", "s", "0"},
		{"x", "GET", "s"},
	})
}

func TestHashGetAll(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"*0", "HGETALL", "h"},
		{"*0", "HKEYS", "h"},
		{"*0", "HVALS", "h"},
		{":3", "HSET", "h", "z", "1", "a", "2", "m", "3"},
		// A small hash answers in insertion order, as Redis's listpack does.
		{"*6 z 1 a 2 m 3", "HGETALL", "h"},
		{"*3 z a m", "HKEYS", "h"},
		{"*3 1 2 3", "HVALS", "h"},
		{":1", "HDEL", "h", "a"},
		{":1", "HSET", "h", "a", "4"},
		{"*6 z 1 m 3 a 4", "HGETALL", "h"},
	})
	if got, want := te.doRaw(3, "HGETALL", "h"), "%3\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n4\r\n"; got != want {
		t.Errorf("RESP3 HGETALL = %q, want %q", got, want)
	}
	if got := te.doRaw(3, "HGETALL", "nokey"); got != "%0\r\n" {
		t.Errorf("RESP3 HGETALL of a missing key = %q", got)
	}
	if got := te.doRaw(3, "HMGET", "h", "z", "q"); got != "*2\r\n$1\r\n1\r\n_\r\n" {
		t.Errorf("RESP3 HMGET = %q", got)
	}
}

func TestHashIncr(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{":5", "HINCRBY", "h", "n", "5"},
		{":-2", "HINCRBY", "h", "n", "-7"},
		{"-2", "HGET", "h", "n"},
		{"-ERR value is not an integer or out of range", "HINCRBY", "h", "n", "x"},
		{"-ERR value is not an integer or out of range", "HINCRBY", "h2", "n", "1.5"},
		{":0", "EXISTS", "h2"}, // a refused command creates nothing
		{":3", "HSET", "h", "s", "abc", "z", "007", "big", "9223372036854775806"},
		{"-ERR hash value is not an integer", "HINCRBY", "h", "s", "1"},
		{"-ERR hash value is not an integer", "HINCRBY", "h", "z", "1"},
		{":9223372036854775807", "HINCRBY", "h", "big", "1"},
		{"-ERR increment or decrement would overflow", "HINCRBY", "h", "big", "1"},
		{":-9223372036854775808", "HINCRBY", "h", "neg", "-9223372036854775808"},
		{"-ERR increment or decrement would overflow", "HINCRBY", "h", "neg", "-1"},

		{"1.5", "HINCRBYFLOAT", "f", "x", "1.5"},
		{"11.5", "HINCRBYFLOAT", "f", "x", "1.0e1"},
		{"11.6", "HINCRBYFLOAT", "f", "x", "0.1"},
		{"11.6", "HGET", "f", "x"},
		{"8", "HINCRBYFLOAT", "h", "z", "1"}, // 007 is a float, not an integer
		{"-ERR value is not a valid float", "HINCRBYFLOAT", "f", "x", "abc"},
		{"-ERR value is NaN or Infinity", "HINCRBYFLOAT", "f", "x", "inf"},
		{"-ERR hash value is not a float", "HINCRBYFLOAT", "h", "s", "1"},
		{"5", "HINCRBYFLOAT", "f", "int", "5"},
		// Long double arithmetic and printing, as Redis on amd64.
		{"0.1", "HINCRBYFLOAT", "f", "p", "0.1"},
		{"0.3", "HINCRBYFLOAT", "f", "p", "0.2"},
		{":3", "HSET", "f", "huge", "1e4932", "inf", "inf", "big", "1.7e308"},
		{"-ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "f", "huge", "1e4932"},
		{"-ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "f", "inf", "1"},
		{"340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120", "HINCRBYFLOAT", "f", "big", "1.7e308"},
	})
}

func TestHashRandField(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"$-1", "HRANDFIELD", "nokey"},
		{"*0", "HRANDFIELD", "nokey", "3"},
		{"*0", "HRANDFIELD", "nokey", "-3", "WITHVALUES"},
		{":1", "HSET", "one", "a", "1"},
		{"a", "HRANDFIELD", "one"},
		{"*1 a", "HRANDFIELD", "one", "5"},
		{"*3 a a a", "HRANDFIELD", "one", "-3"},
		{"*2 a 1", "HRANDFIELD", "one", "1", "withvalues"},
		{"*4 a 1 a 1", "HRANDFIELD", "one", "-2", "WITHVALUES"},
		{"*0", "HRANDFIELD", "one", "0"},
		{"-ERR value is not an integer or out of range", "HRANDFIELD", "one", "x"},
		{"-ERR syntax error", "HRANDFIELD", "one", "1", "x"},
		{"-ERR syntax error", "HRANDFIELD", "one", "1", "WITHVALUES", "x"},
		{"-" + errCountRange, "HRANDFIELD", "one", "-9223372036854775808"},
		{"-ERR value is out of range", "HRANDFIELD", "one", "-4611686018427387904", "WITHVALUES"},
		{"-ERR value is out of range", "HRANDFIELD", "one", "4611686018427387904", "WITHVALUES"},
	})
	if got, want := te.doRaw(3, "HRANDFIELD", "one", "-2", "WITHVALUES"), "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"; got != want {
		t.Errorf("RESP3 HRANDFIELD WITHVALUES = %q, want %q", got, want)
	}

	// Distinct fields for a positive count, on both encodings; repeats
	// allowed for a negative one.
	for _, n := range []int{10, 600} {
		key := "h" + strconv.Itoa(n)
		args := []string{"HSET", key}
		for i := range n {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		te.do(args...)
		for _, count := range []int{1, 3, n / 2, n - 1, n, n + 5} {
			got := hsSorted(te, "HRANDFIELD", key, strconv.Itoa(count))
			if len(got) != min(count, n) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("HRANDFIELD %s %d: %d fields, duplicates or wrong size", key, count, len(got))
			}
		}
		if got := hsSorted(te, "HRANDFIELD", key, "-50"); len(got) != 50 {
			t.Errorf("HRANDFIELD %s -50: %d fields", key, len(got))
		}
		pairs := strings.Split(te.do("HRANDFIELD", key, "4", "WITHVALUES"), " ")[1:]
		for i := 0; i < len(pairs); i += 2 {
			if "v"+pairs[i][1:] != pairs[i+1] {
				t.Errorf("HRANDFIELD WITHVALUES pairs %v", pairs)
			}
		}
	}
}

func TestHashScan(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"*2 0 *0", "HSCAN", "nokey", "0"},
		{":3", "HSET", "h", "a1", "x", "b1", "y", "a2", "z"},
		{"*2 0 *6 a1 x b1 y a2 z", "HSCAN", "h", "0"},
		{"*2 0 *4 a1 x a2 z", "HSCAN", "h", "0", "MATCH", "a*"},
		{"*2 0 *6 a1 x b1 y a2 z", "HSCAN", "h", "0", "COUNT", "1"},
		{"-ERR invalid cursor", "HSCAN", "h", "x"},
		{"-ERR syntax error", "HSCAN", "h", "0", "COUNT", "0"},
		{"-ERR syntax error", "HSCAN", "h", "0", "MATCH"},
		{"-ERR syntax error", "HSCAN", "h", "0", "TYPE", "string"},
	})
	// A hashtable is scanned in steps until the cursor comes back to 0.
	args := []string{"HSET", "big"}
	for i := range 700 {
		args = append(args, "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	te.do(args...)
	seen := map[string]bool{}
	cursor, calls := "0", 0
	for {
		parts := strings.Split(te.do("HSCAN", "big", cursor, "COUNT", "20"), " ")
		cursor = parts[1]
		for i := 3; i < len(parts); i += 2 {
			if parts[i] != "f"+parts[i+1] {
				t.Fatalf("HSCAN pair %s %s", parts[i], parts[i+1])
			}
			seen[parts[i]] = true
		}
		if calls++; cursor == "0" || calls > 1000 {
			break
		}
	}
	if len(seen) != 700 || calls < 5 {
		t.Errorf("HSCAN saw %d fields in %d calls", len(seen), calls)
	}
}

func TestHashEncoding(t *testing.T) {
	te := newTestEngine(t)
	te.do("HSET", "h", "a", strings.Repeat("v", 64))
	te.expect("listpack", "OBJECT", "ENCODING", "h")
	te.do("HSET", "h", "b", strings.Repeat("v", 65))
	te.expect("hashtable", "OBJECT", "ENCODING", "h")
	te.do("HDEL", "h", "b")
	te.expect("hashtable", "OBJECT", "ENCODING", "h") // never converts back

	te.do("HSET", "k", strings.Repeat("f", 65), "v")
	te.expect("hashtable", "OBJECT", "ENCODING", "k")

	// 512 fields, as Redis 7.0.15's hash-max-listpack-entries default.
	for i := range 512 {
		te.do("HSET", "n", strconv.Itoa(i), "v")
	}
	te.expect("listpack", "OBJECT", "ENCODING", "n")
	te.do("HSET", "n", "512", "v")
	te.expect("hashtable", "OBJECT", "ENCODING", "n")
	te.expect(":513", "HLEN", "n")
	te.expect("v", "HGET", "n", "0")
}

// The WATCH version moves only when the hash really changes.
func TestHashWatchVersion(t *testing.T) {
	te := newTestEngine(t)
	te.do("HSET", "h", "a", "1")
	v := te.WatchKey(0, "h").Version
	te.expect(":0", "HDEL", "h", "zz")
	te.expect(":0", "HSETNX", "h", "a", "2")
	te.expect("-ERR value is not a valid float", "HINCRBYFLOAT", "h", "a", "x")
	te.expect("+OK", "SET", "x", "y")
	te.expect(wrongType, "HINCRBY", "x", "a", "1")
	if te.WatchKey(0, "h").Version != v {
		t.Errorf("a no-op changed the version")
	}
	te.do("HSET", "h", "t", "not-a-number")
	v2 := te.WatchKey(0, "h").Version
	if v2 == v {
		t.Errorf("HSET did not change the version")
	}
	te.expect("-ERR hash value is not an integer", "HINCRBY", "h", "t", "1")
	if te.WatchKey(0, "h").Version != v2 {
		t.Errorf("a refused HINCRBY changed the version")
	}
	te.expect(":1", "HDEL", "h", "a")
	if te.WatchKey(0, "h").Version == v2 {
		t.Errorf("HDEL did not change the version")
	}
}

// HRANDFIELD's count bounds, as Redis 7.0.15 answers them: WITHVALUES
// refuses counts beyond ±LONG_MAX/2 before looking at the key. Counts it
// accepts with a reply too large to build (Redis 7.0.15 hangs on
// "HRANDFIELD h -4611686018427387903 WITHVALUES" until it runs out of
// memory) are refused up front, still as "value is out of range".
func TestHashRandFieldHugeNegativeCount(t *testing.T) {
	te := newTestEngine(t)
	te.do("HSET", "h", "z", "1", "a", "2", "m", "3")
	const tooLarge = "-ERR value is out of range, the reply to this count would exceed 268435456 bytes"
	hsRun(te, [][]string{
		{"-ERR value is out of range", "HRANDFIELD", "nokey", "-9223372036854775807", "WITHVALUES"},
		{"*0", "HRANDFIELD", "nokey", "-9223372036854775807"},
		{"-ERR value is out of range", "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"},
		{tooLarge, "HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
		{tooLarge, "HRANDFIELD", "h", "-9223372036854775807"},
		{tooLarge, "HRANDFIELD", "h", "-2000000000"},
		{tooLarge, "HRANDFIELD", "h", "-2000000000", "WITHVALUES"},
		{"*6 z 1 a 2 m 3", "HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"},
	})
	if got := strings.Count(te.do("HRANDFIELD", "h", "-100000", "WITHVALUES"), " "); got != 200000 {
		t.Errorf("HRANDFIELD h -100000 WITHVALUES: %d words", got)
	}
	// The estimate uses the fields alone when values are not asked for: a
	// count too large WITHVALUES may fit without.
	big := strings.Repeat("v", 1<<20)
	te.do("HSET", "b", "f", big)
	hsRun(te, [][]string{
		{tooLarge, "HRANDFIELD", "b", "-300", "WITHVALUES"},
		{"*3 f f f", "HRANDFIELD", "b", "-3"},
	})
	if got := strings.Count(te.do("HRANDFIELD", "b", "-300"), "f"); got != 300 {
		t.Errorf("HRANDFIELD b -300: %d picks", got)
	}
}

// Listpack limits at their edges, as Redis 7.0.15 answers: 512 fields and
// 64-byte fields
// and values fit, HSETNX on an existing field converts nothing, HINCRBY on
// a long new field converts, a long HINCRBYFLOAT increment does not (only
// the stored result counts).
func TestHashEncodingEdges(t *testing.T) {
	te := newTestEngine(t)
	l64, l65 := strings.Repeat("y", 64), strings.Repeat("x", 65)
	hsRun(te, [][]string{
		{":1", "HSET", "a", l64, l64},
		{"listpack", "OBJECT", "ENCODING", "a"},
		{":1", "HSET", "b", "f1", "v1"},
		{":0", "HSETNX", "b", "f1", l65},
		{"listpack", "OBJECT", "ENCODING", "b"},
		{":1", "HSETNX", "b", "f2", l65},
		{"hashtable", "OBJECT", "ENCODING", "b"},
		{":1", "HSET", "c", "f1", "v1"},
		{":1", "HINCRBY", "c", l65, "1"},
		{"hashtable", "OBJECT", "ENCODING", "c"},
		{":1", "HSET", "d", "f1", "1"},
		{"1", "HINCRBYFLOAT", "d", "f1", "0." + strings.Repeat("0", 66) + "1"},
		{"listpack", "OBJECT", "ENCODING", "d"},
	})
	// HSCAN answers a listpack, even a full one, in one call with cursor 0
	// whatever COUNT says; one more field makes a hashtable, scanned in steps.
	for i := range 512 {
		te.do("HSET", "f", "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	te.expect("listpack", "OBJECT", "ENCODING", "f")
	parts := strings.Split(te.do("HSCAN", "f", "0", "COUNT", "1"), " ")
	if parts[1] != "0" || parts[2] != "*1024" || parts[3] != "f0" || parts[len(parts)-1] != "511" {
		t.Errorf("HSCAN of a full listpack: %v…", parts[:5])
	}
	te.do("HSET", "f", "one", "more")
	te.expect("hashtable", "OBJECT", "ENCODING", "f")
	if parts := strings.Split(te.do("HSCAN", "f", "0", "COUNT", "1"), " "); parts[1] == "0" {
		t.Errorf("HSCAN of a 513-field hashtable answered everything at once")
	}
}
