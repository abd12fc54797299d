package cache

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The applied forms (data present, or errors) are in the golden table
// zgoldPop; these tests cover the waiting, on the fake clock.

func zmulti(te *testEngine, lines ...string) string {
	var cmds [][][]byte
	for _, line := range lines {
		var args [][]byte
		for _, f := range strings.Fields(line) {
			args = append(args, []byte(f))
		}
		cmds = append(cmds, args)
	}
	w := &zwire{}
	te.ExecMulti(0, nil, cmds, w)
	return compact(w.b.String())
}

// A ZADD wakes the waiter, which pops what was added.
func TestBZPopWakeOnZAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		lsBlock(te, t.Context(), out, 1, "BZPOPMIN nokey q 0")
		lsBlock(te, t.Context(), out, 2, "BZPOPMAX q 0")
		lsBlock(te, t.Context(), out, 3, "BZMPOP 0 2 other q MAX COUNT 5")
		if n := te.BlockedClients(); n != 3 {
			t.Fatalf("BlockedClients = %d, want 3", n)
		}
		te.expect(":0", "ZADD", "q", "XX", "1", "a") // adds nothing: wakes nobody
		te.expect(":0", "ZADD", "other", "XX", "1", "a")
		lsExpectNoneServed(t, out)

		te.expect(":1", "ZADD", "q", "2.5", "a")
		lsExpectServed(t, out, 1, "*3 q a 2.5")
		lsExpectNoneServed(t, out)
		te.expect(":0", "EXISTS", "q")

		te.expect(":1", "ZADD", "q", "3", "z")
		lsExpectServed(t, out, 2, "*3 q z 3")
		te.expect(":2", "ZADD", "q", "1", "x", "2", "y")
		lsExpectServed(t, out, 3, "*2 q *2 *2 y 2 *2 x 1")
		if n := te.BlockedClients(); n != 0 {
			t.Errorf("BlockedClients = %d after serving all", n)
		}
	})
}

// Waiters are served oldest first, one per element.
func TestBZPopFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 8)
		for id := 1; id <= 4; id++ {
			lsBlock(te, t.Context(), out, id, "BZPOPMIN q 0")
		}
		for id, m := range []string{"a", "b", "c", "d"} {
			te.expect(":1", "ZADD", "q", "1", m)
			lsExpectServed(t, out, id+1, "*3 q "+m+" 1")
		}
		lsExpectNoneServed(t, out)
	})
}

// The STORE forms and ZINCRBY create keys too, and wake their waiters.
func TestBZPopWakeOnStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 8)
		te.expect(":2", "ZADD", "src", "1", "a", "2", "b")
		lsBlock(te, t.Context(), out, 1, "BZPOPMAX d1 0")
		lsBlock(te, t.Context(), out, 2, "BZPOPMIN d2 0")
		lsBlock(te, t.Context(), out, 3, "BZPOPMIN d3 0")
		te.expect(":2", "ZUNIONSTORE", "d1", "1", "src")
		lsExpectServed(t, out, 1, "*3 d1 b 2")
		te.expect(":1", "ZRANGESTORE", "d2", "src", "1", "1")
		lsExpectServed(t, out, 2, "*3 d2 b 2")
		te.expect("1.5", "ZINCRBY", "d3", "1.5", "m")
		lsExpectServed(t, out, 3, "*3 d3 m 1.5")
	})
}

// A client blocked on two keys that both receive data is served once,
// from the first key in argument order.
func TestBZPopServedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		lsBlock(te, t.Context(), out, 1, "BZPOPMIN a b 0")
		if got := zmulti(te, "ZADD b 1 x", "ZADD a 2 y"); got != "*2 :1 :1" {
			t.Fatalf("EXEC: %q", got)
		}
		lsExpectServed(t, out, 1, "*3 a y 2")
		lsExpectNoneServed(t, out)
		te.expect(":1", "ZCARD", "b")
	})
}

// A ZADD inside MULTI wakes a waiter once EXEC has applied the whole
// transaction; the blocking pops inside MULTI never wait.
func TestBZPopMulti(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		lsBlock(te, t.Context(), out, 1, "BZMPOP 0 1 q MIN COUNT 10")
		got := zmulti(te, "ZADD q 1 a 2 b", "ZCARD q", "BZPOPMIN nokey 0", "BZMPOP 0 1 nokey MAX", "ZADD q 3 c")
		if got != "*5 :2 :2 *-1 *-1 :1" {
			t.Fatalf("EXEC: %q", got)
		}
		lsExpectServed(t, out, 1, "*2 q *3 *2 a 1 *2 b 2 *2 c 3")
		te.expect(":0", "EXISTS", "q")
	})
}

// A timeout answers a null array after exactly the timeout; a cancelled
// context does too, and either way the client leaves the queues.
func TestBZPopTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		start := time.Now()
		lsBlock(te, t.Context(), out, 1, "BZPOPMAX q 1.5")
		r := <-out
		if r.reply != "*-1" || time.Since(start) != 1500*time.Millisecond {
			t.Errorf("timeout: %q after %v", r.reply, time.Since(start))
		}
		start = time.Now()
		lsBlock(te, t.Context(), out, 2, "BZMPOP 0.25 1 q MIN")
		r = <-out
		if r.reply != "*-1" || time.Since(start) != 250*time.Millisecond {
			t.Errorf("BZMPOP timeout: %q after %v", r.reply, time.Since(start))
		}
		if got := zdoRaw(te, 3, "BZPOPMIN", "q", "0"); got != "_\r\n" {
			t.Errorf("applied form in RESP3: %q", got)
		}

		ctx, cancel := context.WithCancel(t.Context())
		lsBlock(te, ctx, out, 3, "BZPOPMIN q 0")
		cancel()
		lsExpectServed(t, out, 3, "*-1")
		if n := te.BlockedClients(); n != 0 {
			t.Errorf("BlockedClients = %d", n)
		}
		te.expect(":1", "ZADD", "q", "1", "x") // no stale waiter takes it
		te.expect(":1", "ZCARD", "q")
	})
}

// A key of another type answers WRONGTYPE at once, without waiting.
func TestBZPopWrongType(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		te.expect("+OK", "SET", "s", "v")
		lsBlock(te, t.Context(), out, 1, "BZPOPMIN nokey s 0")
		lsExpectServed(t, out, 1, "-"+ErrWrongType)
		lsBlock(te, t.Context(), out, 2, "BZMPOP 0 2 s nokey MIN")
		lsExpectServed(t, out, 2, "-"+ErrWrongType)
		if n := te.BlockedClients(); n != 0 {
			t.Errorf("BlockedClients = %d", n)
		}
	})
}

// A key of another kind does not wake a waiter, as in Redis 7.0: a
// BZPOPMIN client sleeps through an LPUSH to its key and a BLPOP client
// through a ZADD, and each is served once its own kind appears.
func TestBlockingIgnoresOtherKinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		lsBlock(te, ctx, out, 1, "BZPOPMIN q 0")
		lsBlock(te, ctx, out, 2, "BLPOP z 0")
		te.expect(":1", "LPUSH", "q", "x")
		te.expect(":1", "ZADD", "z", "1", "m")
		lsExpectNoneServed(t, out)
		if n := te.BlockedClients(); n != 2 {
			t.Fatalf("BlockedClients = %d, want 2", n)
		}
		te.expect(":1", "DEL", "q")
		te.expect(":1", "ZADD", "q", "2", "a")
		lsExpectServed(t, out, 1, "*3 q a 2")
		te.expect(":1", "DEL", "z")
		te.expect(":1", "RPUSH", "z", "v")
		lsExpectServed(t, out, 2, "*2 z v")
	})
}
