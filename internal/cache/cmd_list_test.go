package cache

import (
	"strconv"
	"strings"
	"testing"
)

// step is one command line (split on spaces) and its compact RESP2 reply.
type lsStep struct{ cmd, want string }

// lsRun runs each step's command on a fresh engine, in order.
func lsRun(t *testing.T, steps []lsStep) *testEngine {
	t.Helper()
	te := newTestEngine(t)
	for _, s := range steps {
		te.expect(s.want, strings.Fields(s.cmd)...)
	}
	return te
}

const lsWrongType = "-" + ErrWrongType

func TestListPushPop(t *testing.T) {
	lsRun(t, []lsStep{
		{"LPUSHX l a", ":0"},
		{"RPUSHX l a", ":0"},
		{"EXISTS l", ":0"},
		{"LPUSH l a b c", ":3"},
		{"RPUSH l d e", ":5"},
		{"LPUSHX l z", ":6"},
		{"RPUSHX l y", ":7"},
		{"LRANGE l 0 -1", "*7 z c b a d e y"},
		{"LPOP l", "z"},
		{"RPOP l", "y"},
		{"LPOP l 2", "*2 c b"},
		{"RPOP l 2", "*2 e d"},
		{"LPOP l 0", "*0"},
		{"RPOP l 9", "*1 a"},
		{"EXISTS l", ":0"},
		{"LPOP l", "$-1"},
		{"RPOP l", "$-1"},
		{"LPOP l 2", "*-1"},
		{"LPOP l 0", "*-1"},
		{"RPUSH l a", ":1"},
		{"LPOP l -1", "-" + errPositive},
		{"LPOP l x", "-" + errPositive},
		{"LPOP l 1 2", "-ERR wrong number of arguments for 'lpop' command"},
		{"RPOP l 1 2", "-ERR wrong number of arguments for 'rpop' command"},
		{"LPUSH l", "-ERR wrong number of arguments for 'lpush' command"},
		{"SET s v", "+OK"},
		{"LPUSH s a", lsWrongType},
		{"RPUSHX s a", lsWrongType},
		{"LPOP s", lsWrongType},
		{"RPOP s 2", lsWrongType},
	})
}

// RESP3 answers a missing key's pop with the null type, with or without a count.
func TestListPopNullsRESP3(t *testing.T) {
	te := newTestEngine(t)
	for _, args := range [][]string{{"LPOP", "k"}, {"LPOP", "k", "2"}, {"LMPOP", "1", "k", "LEFT"}, {"LPOS", "k", "x"}} {
		if got := te.doRaw(3, args...); got != "_\r\n" {
			t.Errorf("%v: %q", args, got)
		}
	}
}

func TestListIndexSetLen(t *testing.T) {
	lsRun(t, []lsStep{
		{"LLEN l", ":0"},
		{"LINDEX l x", "$-1"}, // the key is looked up first, as in Redis
		{"LSET l x v", "-" + ErrNoSuchKey},
		{"RPUSH l a b c", ":3"},
		{"LLEN l", ":3"},
		{"LINDEX l 0", "a"},
		{"LINDEX l -1", "c"},
		{"LINDEX l 3", "$-1"},
		{"LINDEX l -4", "$-1"},
		{"LINDEX l x", "-" + ErrNotInt},
		{"LSET l 1 B", "+OK"},
		{"LSET l -1 C", "+OK"},
		{"LSET l 3 v", "-" + ErrIndexRange},
		{"LSET l x v", "-" + ErrNotInt},
		{"LRANGE l 0 -1", "*3 a B C"},
		{"SET s v", "+OK"},
		{"LLEN s", lsWrongType},
		{"LINDEX s x", lsWrongType},
		{"LSET s x v", lsWrongType},
	})
}

func TestListRangeTrim(t *testing.T) {
	lsRun(t, []lsStep{
		{"LRANGE l 0 -1", "*0"},
		{"LRANGE l x 1", "-" + ErrNotInt},
		{"LTRIM l 0 1", "+OK"},
		{"LTRIM l 0 x", "-" + ErrNotInt},
		{"RPUSH l 0 1 2 3 4 5 6", ":7"},
		{"LRANGE l -100 100", "*7 0 1 2 3 4 5 6"},
		{"LRANGE l 2 1", "*0"},
		{"LRANGE l -1 -2", "*0"},
		{"LRANGE l -3 -1", "*3 4 5 6"},
		{"LRANGE l 5 100", "*2 5 6"},
		{"LRANGE l 7 8", "*0"},
		{"LRANGE l 0 -9223372036854775808", "*0"},
		{"LTRIM l 1 -2", "+OK"},
		{"LRANGE l 0 -1", "*5 1 2 3 4 5"},
		{"LTRIM l -2 100", "+OK"},
		{"LRANGE l 0 -1", "*2 4 5"},
		{"LTRIM l 5 10", "+OK"},
		{"EXISTS l", ":0"},
		{"SET s v", "+OK"},
		{"LRANGE s 0 1", lsWrongType},
		{"LTRIM s 0 1", lsWrongType},
	})
}

func TestListInsertRem(t *testing.T) {
	lsRun(t, []lsStep{
		{"LINSERT l BEFORE a x", ":0"},
		{"RPUSH l a b c", ":3"},
		{"LINSERT l before a x", ":4"},
		{"LINSERT l After c y", ":5"},
		{"LINSERT l AFTER b z", ":6"},
		{"LINSERT l BEFORE nope q", ":-1"},
		{"LINSERT l MIDDLE a q", "-" + ErrSyntax},
		{"LRANGE l 0 -1", "*6 x a b z c y"},
		{"DEL l", ":1"},
		{"RPUSH l a b a c a d a", ":7"},
		{"LREM l 2 a", ":2"},
		{"LRANGE l 0 -1", "*5 b c a d a"},
		{"LREM l -1 a", ":1"},
		{"LRANGE l 0 -1", "*4 b c a d"},
		{"LREM l 0 nope", ":0"},
		{"LREM l 0 a", ":1"},
		{"LREM l -9223372036854775808 b", ":1"},
		{"LREM l x a", "-" + ErrNotInt},
		{"LREM l 0 c", ":1"},
		{"LREM l 1 d", ":1"},
		{"EXISTS l", ":0"},
		{"LREM l 1 a", ":0"},
		{"SET s v", "+OK"},
		{"LINSERT s BEFORE a b", lsWrongType},
		{"LINSERT s MIDDLE a b", "-" + ErrSyntax},
		{"LREM s 0 a", lsWrongType},
		{"LREM s x a", "-" + ErrNotInt},
	})
}

func TestListPos(t *testing.T) {
	lsRun(t, []lsStep{
		{"LPOS l a", "$-1"},
		{"LPOS l a COUNT 0", "*0"},
		{"RPUSH l a b c 1 2 3 c c", ":8"},
		{"LPOS l c", ":2"},
		{"LPOS l c RANK 2", ":6"},
		{"LPOS l c RANK -1", ":7"},
		{"LPOS l c RANK -2", ":6"},
		{"LPOS l c COUNT 0", "*3 :2 :6 :7"},
		{"LPOS l c COUNT 2", "*2 :2 :6"},
		{"LPOS l c COUNT 0 RANK -1", "*3 :7 :6 :2"},
		{"LPOS l c COUNT 0 MAXLEN 3", "*1 :2"},
		{"LPOS l c RANK -1 MAXLEN 1", ":7"},
		{"LPOS l c rank -2 maxlen 2 count 0", "*1 :6"},
		{"LPOS l c RANK 99 COUNT 0", "*0"},
		{"LPOS l c RANK 1 RANK 5", "$-1"}, // the last option wins
		{"LPOS l c COUNT 1 COUNT 0", "*3 :2 :6 :7"},
		{"LPOS l c RANK -9223372036854775808", ":7"},
		{"LPOS l zz", "$-1"},
		{"LPOS l zz COUNT 0", "*0"},
		{"LPOS l c RANK 0", "-" + errRankZero},
		{"LPOS l c RANK x", "-" + ErrNotInt},
		{"LPOS l c COUNT -1", "-" + errCountNeg},
		{"LPOS l c COUNT x", "-" + errCountNeg},
		{"LPOS l c MAXLEN -1", "-" + errMaxLenNeg},
		{"LPOS l c MAXLEN x", "-" + errMaxLenNeg},
		{"LPOS l c FOO", "-" + ErrSyntax},
		{"LPOS l c FOO x", "-" + ErrSyntax},
		{"LPOS l c RANK", "-" + ErrSyntax},
		{"SET s v", "+OK"},
		{"LPOS s a", lsWrongType},
		{"LPOS s a RANK 0", "-" + errRankZero}, // options are checked first
	})
}

// Arguments are copied into the list: the front-end reuses its buffers.
func TestListNoAliasing(t *testing.T) {
	te := newTestEngine(t)
	for _, args := range [][][]byte{
		{[]byte("RPUSH"), []byte("l"), []byte("one")},
		{[]byte("LINSERT"), []byte("l"), []byte("AFTER"), []byte("one"), []byte("two")},
		{[]byte("LSET"), []byte("l"), []byte("0"), []byte("uno")},
	} {
		te.Exec(0, te.Lookup(args[0]), args, &wire{})
		for _, a := range args[1:] {
			copy(a, "XXXXX")
		}
	}
	te.expect("*2 uno two", "LRANGE", "l", "0", "-1")
}

// lsCheckUsed fails unless the keyspace's running byte count equals a
// recount over database 0.
func lsCheckUsed(te *testEngine) {
	te.t.Helper()
	var sum int64
	for k, e := range te.ks.dbs[0].keys.All() {
		sum += e.memSize() + int64(len(k))
	}
	if sum != te.ks.used {
		te.t.Errorf("used = %d, recount = %d", te.ks.used, sum)
	}
}

func TestListMemoryAccounting(t *testing.T) {
	te := newTestEngine(t)
	before := te.ks.used
	te.do("RPUSH", "l", "a", "bb", "ccc")
	lsCheckUsed(te)
	for i := range 500 {
		te.do("LPUSH", "l", strings.Repeat("v", i%90))
	}
	lsCheckUsed(te)
	te.do("LSET", "l", "3", strings.Repeat("w", 300))
	te.do("LINSERT", "l", "BEFORE", "a", "zz")
	te.do("LREM", "l", "7", "")
	te.do("LTRIM", "l", "3", "-40")
	te.do("RPOP", "l", "100")
	te.do("LMOVE", "l", "m", "LEFT", "RIGHT")
	te.do("LMPOP", "2", "x", "l", "RIGHT", "COUNT", "50")
	lsCheckUsed(te)
	te.do("DEL", "l", "m")
	if te.ks.used != before {
		t.Errorf("used = %d after deleting everything, want %d", te.ks.used, before)
	}
}

func TestListObjectEncoding(t *testing.T) {
	te := newTestEngine(t)
	te.do("RPUSH", "l", "a")
	te.expect("listpack", "OBJECT", "ENCODING", "l")
	for i := range 128 {
		te.do("RPUSH", "l", strconv.Itoa(i))
	}
	te.expect("quicklist", "OBJECT", "ENCODING", "l")
}

func TestListCommandInfo(t *testing.T) {
	te := newTestEngine(t)
	for name, want := range map[string]struct {
		arity int
		flags Flag
	}{
		"lpush": {-3, FlagWrite | FlagDenyOOM | FlagFast}, "lpop": {-2, FlagWrite | FlagFast},
		"llen": {2, FlagReadOnly | FlagFast}, "lrange": {4, FlagReadOnly}, "lpos": {-3, FlagReadOnly},
		"lmove": {5, FlagWrite | FlagDenyOOM}, "lmpop": {-4, FlagWrite},
		"blpop":  {-3, FlagWrite | FlagNoScript | FlagBlocking},
		"blmove": {6, FlagWrite | FlagDenyOOM | FlagNoScript | FlagBlocking},
		"blmpop": {-5, FlagWrite | FlagBlocking},
	} {
		cmd := te.Lookup([]byte(name))
		if cmd == nil || cmd.Arity != want.arity || cmd.Flags != want.flags || cmd.Group != "list" {
			t.Errorf("%s: %+v", name, cmd)
		}
	}
}
