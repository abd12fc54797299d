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

func TestSetScan(t *testing.T) {
	te := newTestEngine(t)
	hsRun(te, [][]string{
		{"*2 0 *0", "SSCAN", "nokey", "0"},
		{":3", "SADD", "s", "a1", "b1", "a2"},
		{":2", "SADD", "i", "5", "1"},
		{"*2 0 *2 1 5", "SSCAN", "i", "0"},
		{"*2 0 *1 5", "SSCAN", "i", "0", "MATCH", "5", "COUNT", "1"},
		{"-ERR invalid cursor", "SSCAN", "s", "x"},
		{"-ERR syntax error", "SSCAN", "s", "0", "COUNT", "0"},
		{"-ERR syntax error", "SSCAN", "s", "0", "TYPE", "set"},
	})
	// An intset, even a full one, answers in one call with cursor 0, sorted,
	// whatever COUNT says (as Redis 7.0.15 does: 512 members for COUNT 10).
	ssAddN(te, "full", "", 0, 512)
	parts := strings.Split(te.do("SSCAN", "full", "0", "COUNT", "10"), " ")
	if parts[1] != "0" || parts[2] != "*512" || parts[3] != "0" || parts[len(parts)-1] != "511" {
		t.Errorf("SSCAN of a full intset: %v…", parts[:5])
	}
	// A hashtable, however small, is scanned in steps.
	seen := map[string]bool{}
	for cursor, calls := "0", 0; calls == 0 || cursor != "0"; calls++ {
		parts := strings.Split(te.do("SSCAN", "s", cursor, "COUNT", "1"), " ")
		cursor = parts[1]
		for _, m := range parts[3:] {
			seen[m] = true
		}
		if calls > 100 {
			t.Fatal("SSCAN of a small hashtable does not end")
		}
	}
	if len(seen) != 3 {
		t.Errorf("SSCAN of a small hashtable saw %v", seen)
	}
	args := []string{"SADD", "big"}
	for i := range 600 {
		args = append(args, "m"+strconv.Itoa(i))
	}
	te.do(args...)
	clear(seen)
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

// A negative count is picks with repetition, so the reply is bounded by the
// count and not by the set. Redis 7.0.15 answers the counts it cannot parse
// as below; for the others it starts building the reply and, with the
// default configuration, hangs and grows until it runs out of memory
// (SRANDMEMBER one-member-set -2000000000 never answers). Triad refuses a
// reply larger than randMaxReplyBytes up front, with an error that still
// says "value is out of range".
func TestSetRandMemberHugeNegativeCount(t *testing.T) {
	te := newTestEngine(t)
	te.do("SADD", "s", "a")
	te.do("SADD", "i", "1", "22", "333")
	const tooLarge = "-ERR value is out of range, the reply to this count would exceed 268435456 bytes"
	hsRun(te, [][]string{
		{"-" + errCountRange, "SRANDMEMBER", "s", "-9223372036854775808"},
		{"-ERR value is not an integer or out of range", "SRANDMEMBER", "s", "-9223372036854775809"},
		{tooLarge, "SRANDMEMBER", "s", "-9223372036854775807"},
		{tooLarge, "SRANDMEMBER", "s", "-4611686018427387904"},
		{tooLarge, "SRANDMEMBER", "s", "-2000000000"},
		{tooLarge, "SRANDMEMBER", "i", "-2000000000"},
		{"*0", "SRANDMEMBER", "nokey", "-9223372036854775807"}, // a missing key answers first
		{"*1 a", "SRANDMEMBER", "s", "9223372036854775807"},    // positive: bounded by the set
	})
	// Large counts that fit are served in full.
	if got := strings.Count(te.do("SRANDMEMBER", "s", "-100000"), " a"); got != 100000 {
		t.Errorf("SRANDMEMBER s -100000: %d picks", got)
	}
	// Inside a script the same bound applies (the reply would be a table).
	if got := te.do("EVAL", "return redis.call('srandmember', KEYS[1], '-2000000000')", "1", "s"); !strings.HasPrefix(got, tooLarge) {
		t.Errorf("SRANDMEMBER in a script: %q", got)
	}
}

// randCountFits estimates n × (mean element + framing), at least
// randMinPickBytes a pick, against randMaxReplyBytes.
func TestRandCountFits(t *testing.T) {
	ctx := &Ctx{W: &wire{}}
	const mb = 1 << 20
	cases := []struct {
		n           uint64
		data, elems int
		bulks       int
		fits        bool
	}{
		{randMaxReplyBytes / randMinPickBytes, 1, 1, 1, true},    // tiny members: the floor decides
		{randMaxReplyBytes/randMinPickBytes + 1, 1, 1, 1, false}, //
		{256, mb - randBulkOverhead, 1, 1, true},                 // 256 × 1 MiB exactly
		{257, mb - randBulkOverhead, 1, 1, false},                //
		{128, 2*mb - 2*randBulkOverhead, 1, 2, true},             // field + value
		{129, 2*mb - 2*randBulkOverhead, 1, 2, false},            //
		{1 << 63, 0, 0, 1, false},                                // no elements: still bounded
		{255, 10 * mb, 10, 1, true},                              // the mean, not the total
	}
	for _, tc := range cases {
		if got := randCountFits(ctx, tc.n, int64(tc.data), tc.elems, tc.bulks); got != tc.fits {
			t.Errorf("randCountFits(%d, %d, %d, %d) = %v", tc.n, tc.data, tc.elems, tc.bulks, got)
		}
	}
}
