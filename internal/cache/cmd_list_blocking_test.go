package cache

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestListMove(t *testing.T) {
	lsRun(t, []lsStep{
		{"LMOVE nokey d LEFT LEFT", "$-1"},
		{"RPUSH l a b c", ":3"},
		{"LMOVE l d LEFT RIGHT", "a"},
		{"LMOVE l d right left", "c"},
		{"LRANGE d 0 -1", "*2 c a"},
		{"LMOVE l l LEFT RIGHT", "b"}, // rotation of a one-element list keeps it
		{"LRANGE l 0 -1", "*1 b"},
		{"LMOVE l d MIDDLE LEFT", "-" + ErrSyntax},
		{"LMOVE l d LEFT MIDDLE", "-" + ErrSyntax},
		{"RPOPLPUSH l d", "b"},
		{"EXISTS l", ":0"},
		{"LRANGE d 0 -1", "*3 b c a"},
		{"RPOPLPUSH d d", "a"},
		{"LRANGE d 0 -1", "*3 a b c"},
		{"SET s v", "+OK"},
		{"LMOVE d s LEFT LEFT", lsWrongType}, // nothing is popped
		{"LRANGE d 0 -1", "*3 a b c"},
		{"LMOVE s d LEFT LEFT", lsWrongType},
		{"RPOPLPUSH s d", lsWrongType},
	})
}

func TestListMPop(t *testing.T) {
	lsRun(t, []lsStep{
		{"LMPOP 1 a LEFT", "*-1"},
		{"RPUSH a 1 2 3", ":3"},
		{"RPUSH b 4 5", ":2"},
		{"LMPOP 2 nokey b RIGHT", "*2 b *1 5"},
		{"LMPOP 2 a b LEFT COUNT 2", "*2 a *2 1 2"},
		{"LMPOP 2 a b right count 9", "*2 a *1 3"},
		{"LMPOP 2 a b LEFT", "*2 b *1 4"},
		{"DBSIZE", ":0"},
		{"LMPOP 0 a LEFT", "-" + errNumKeys},
		{"LMPOP x a LEFT", "-" + errNumKeys},
		{"LMPOP 99999999999999999999 a LEFT", "-" + errNumKeys},
		{"LMPOP 9223372036854775807 a LEFT", "-" + ErrSyntax},
		{"LMPOP 3 a b LEFT", "-" + ErrSyntax},
		{"LMPOP 1 a MIDDLE", "-" + ErrSyntax},
		{"LMPOP 1 a LEFT COUNT 0", "-" + errCountZero},
		{"LMPOP 1 a LEFT COUNT x", "-" + errCountZero},
		{"LMPOP 1 a LEFT COUNT 1 COUNT 1", "-" + ErrSyntax},
		{"LMPOP 1 a LEFT COUNT", "-" + ErrSyntax},
		{"LMPOP 1 a LEFT FOO", "-" + ErrSyntax},
		{"SET s v", "+OK"},
		{"RPUSH l x", ":1"},
		{"LMPOP 2 s l LEFT", lsWrongType},
	})
}

// Applied directly (as inside MULTI or on replay) the blocking commands
// never wait: they act as their non-blocking forms or answer null.
func TestListBlockingAppliedForm(t *testing.T) {
	lsRun(t, []lsStep{
		{"RPUSH a 1 2 3 4", ":4"},
		{"BLPOP nokey a 0", "*2 a 1"},
		{"BRPOP a 0", "*2 a 4"},
		{"BLPOP nokey 0", "*-1"},
		{"BLPOP a x", "-" + errTimeoutNaN},
		{"BLPOP a -1", "-" + errTimeoutNeg},
		{"RPUSH b x", ":1"},
		{"BLMOVE b c LEFT RIGHT 0", "x"},
		{"BRPOPLPUSH c b 0", "x"},
		{"BLMOVE nokey c LEFT RIGHT 0", "*-1"},
		{"BRPOPLPUSH nokey c 0", "*-1"},
		{"BLMPOP 0 2 nokey b LEFT COUNT 5", "*2 b *1 x"},
		{"BLMPOP 0 1 b LEFT", "*-1"},
		{"BLMPOP x 1 b LEFT", "-" + errTimeoutNaN},
		{"BLMPOP x 1 b MIDDLE", "-" + ErrSyntax}, // arguments before the timeout
		{"BLMPOP 0 0 b LEFT", "-" + errNumKeys},
		{"BLMOVE a b MIDDLE LEFT x", "-" + ErrSyntax},
		{"BLMOVE a b LEFT LEFT x", "-" + errTimeoutNaN},
		{"BRPOPLPUSH a b -2", "-" + errTimeoutNeg},
		{"SET s v", "+OK"},
		{"BLPOP s 0", lsWrongType},
		{"BLMOVE s d LEFT LEFT 0", lsWrongType},
	})
}

// Inside MULTI, BLMOVE and BRPOPLPUSH answer a null bulk string, the pops a
// null array, as Redis 7.0 does.
func TestListBlockingInMulti(t *testing.T) {
	te := newTestEngine(t)
	var cmds [][][]byte
	for _, line := range []string{"BLPOP k 0", "BLMOVE k d LEFT LEFT 0", "BRPOPLPUSH k d 0", "BLMPOP 0 1 k LEFT"} {
		var args [][]byte
		for _, f := range strings.Fields(line) {
			args = append(args, []byte(f))
		}
		cmds = append(cmds, args)
	}
	w := &wire{}
	te.ExecMulti(0, nil, cmds, w)
	if got := compact(w.b.String()); got != "*4 *-1 $-1 $-1 *-1" {
		t.Errorf("EXEC: %q", got)
	}
}

func TestListParseTimeout(t *testing.T) {
	const now = 1_700_000_000_000
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1", time.Second, ""},
		{"0.5", 500 * time.Millisecond, ""},
		{"1.0009", time.Second, ""},
		{"0.0001", 0, ""},  // whole milliseconds: forever, as in Redis
		{"-0.0001", 0, ""}, // likewise
		{"9e15", 0, ""},    // beyond a Duration: forever in effect
		{"x", 0, errTimeoutNaN},
		{"nan", 0, errTimeoutNaN},
		{"", 0, errTimeoutNaN},
		{"-1", 0, errTimeoutNeg},
		{"inf", 0, errTimeoutNeg}, // Redis's conversion overflows to negative
		{"1e20", 0, errTimeoutNeg},
		{"9.2233720368e15", 0, errTimeoutBig},
	} {
		got, err := parseTimeout([]byte(tc.in), now)
		if got != tc.want || err != tc.err {
			t.Errorf("%q: %v %q, want %v %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// blockResult is what a blocked client finally received.
type blockResult struct {
	id    int
	reply string
}

// lsBlock starts client id in ExecBlocking and returns once it waits (or
// has been answered). Run inside a synctest bubble.
func lsBlock(te *testEngine, ctx context.Context, out chan<- blockResult, id int, line string) {
	te.t.Helper()
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	cmd := te.Lookup(args[0])
	timeout, errReply := cmd.BlockTimeout(args)
	if errReply != "" {
		te.t.Fatalf("%s: %s", line, errReply)
	}
	go func() {
		w := &wire{}
		te.ExecBlocking(ctx, 0, cmd, args, w, timeout)
		out <- blockResult{id, compact(w.b.String())}
	}()
	synctest.Wait()
}

func lsExpectServed(t *testing.T, out <-chan blockResult, id int, reply string) {
	t.Helper()
	synctest.Wait()
	select {
	case r := <-out:
		if r.id != id || r.reply != reply {
			t.Errorf("served client %d with %q, want client %d with %q", r.id, r.reply, id, reply)
		}
	default:
		t.Errorf("client %d was not served", id)
	}
}

// lsExpectAllServed checks the clients served since the last check, in
// any order (woken clients race to the lock), against want by id.
func lsExpectAllServed(t *testing.T, out <-chan blockResult, want map[int]string) {
	t.Helper()
	synctest.Wait()
	got := map[int]string{}
	for len(out) > 0 {
		r := <-out
		got[r.id] = r.reply
	}
	if len(got) != len(want) {
		t.Errorf("served %v, want %v", got, want)
	}
	for id, reply := range want {
		if got[id] != reply {
			t.Errorf("client %d got %q, want %q", id, got[id], reply)
		}
	}
}

func lsExpectNoneServed(t *testing.T, out <-chan blockResult) {
	t.Helper()
	synctest.Wait()
	select {
	case r := <-out:
		t.Errorf("client %d unexpectedly answered %q", r.id, r.reply)
	default:
	}
}

// Waiters are served oldest first, each exactly once, one per element.
func TestListBlockingFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 8)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		lsBlock(te, ctx, out, 1, "BLPOP q 0")
		lsBlock(te, ctx, out, 2, "BRPOP other q 0")
		lsBlock(te, ctx, out, 3, "BLPOP q 0")
		if n := te.BlockedClients(); n != 3 {
			t.Fatalf("BlockedClients = %d, want 3", n)
		}
		lsExpectNoneServed(t, out)

		te.expect(":1", "RPUSH", "q", "a")
		lsExpectServed(t, out, 1, "*2 q a")
		lsExpectNoneServed(t, out)

		te.expect(":2", "RPUSH", "q", "b", "c") // two elements: two waiters
		lsExpectAllServed(t, out, map[int]string{2: "*2 q c", 3: "*2 q b"})
		te.expect(":0", "EXISTS", "q")
		if n := te.BlockedClients(); n != 0 {
			t.Errorf("BlockedClients = %d after serving all", n)
		}
	})
}

// A client blocked on two keys that both receive data is served once.
func TestListBlockingServedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		lsBlock(te, t.Context(), out, 1, "BLPOP a b 0")
		w := &wire{}
		te.ExecMulti(0, nil, [][][]byte{
			{[]byte("RPUSH"), []byte("b"), []byte("1")},
			{[]byte("RPUSH"), []byte("a"), []byte("2")},
		}, w)
		lsExpectServed(t, out, 1, "*2 a 2") // the first key that has data, in argument order
		lsExpectNoneServed(t, out)
		te.expect(":1", "LLEN", "b")
	})
}

// Pushes by LMOVE/RPOPLPUSH wake clients blocked on the destination, and the
// moving commands themselves block on their source only.
func TestListBlockingMoveWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		lsBlock(te, t.Context(), out, 1, "BLMOVE src dst LEFT RIGHT 0")
		lsBlock(te, t.Context(), out, 2, "BLMPOP 0 2 x dst RIGHT COUNT 5")
		te.expect(":1", "RPUSH", "dst", "ignored") // dst is not BLMOVE's key
		lsExpectServed(t, out, 2, "*2 dst *1 ignored")
		te.expect(":1", "RPUSH", "other", "v")
		lsBlock(te, t.Context(), out, 3, "BLPOP dst 0")
		te.expect("v", "RPOPLPUSH", "other", "src")
		// src → dst, which then wakes client 3
		lsExpectAllServed(t, out, map[int]string{1: "v", 3: "*2 dst v"})
	})
}

// A timeout answers a null array after exactly the timeout; a cancelled
// context does too, and either way the client leaves the queues.
func TestListBlockingTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		te := newTestEngine(t)
		out := make(chan blockResult, 4)
		start := time.Now()
		lsBlock(te, t.Context(), out, 1, "BLPOP q 1.5")
		r := <-out // the fake clock advances to the deadline
		if r.reply != "*-1" || time.Since(start) != 1500*time.Millisecond {
			t.Errorf("timeout: %q after %v", r.reply, time.Since(start))
		}
		if got := te.doRaw(2, "BLPOP", "q", "0"); got != "*-1\r\n" {
			t.Errorf("applied form: %q", got)
		}

		ctx, cancel := context.WithCancel(t.Context())
		lsBlock(te, ctx, out, 2, "BLMOVE q d LEFT LEFT 0")
		cancel()
		lsExpectServed(t, out, 2, "*-1")
		if n := te.BlockedClients(); n != 0 {
			t.Errorf("BlockedClients = %d", n)
		}
		te.expect(":1", "RPUSH", "q", "x") // no stale waiter takes it
		te.expect(":1", "LLEN", "q")
	})
}
