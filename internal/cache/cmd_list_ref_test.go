//go:build redisref

package cache

// A differential test against a real Redis 7.0: every script below runs on
// both, and the exact reply bytes (RESP2 and RESP3) must agree. Run with
//
//	go test -tags redisref ./internal/cache -run TestListRef -redis 127.0.0.1:6379
//
// against a throwaway redis-server: the test flushes its database 9.

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
)

var refAddr = flag.String("redis", "127.0.0.1:6379", "address of a reference redis-server")

type refConn struct {
	c net.Conn
	r *bufio.Reader
}

func (rc *refConn) do(t *testing.T, args ...string) string {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := rc.c.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rc.read(t, &out)
	return out.String()
}

// read copies one complete RESP reply to out.
func (rc *refConn) read(t *testing.T, out *bytes.Buffer) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	out.WriteString(line)
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	switch line[0] {
	case '$', '=', '!':
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := rc.r.Read(buf[:0]); err != nil {
				t.Fatal(err)
			}
			for got := 0; got < len(buf); {
				m, err := rc.r.Read(buf[got:])
				if err != nil {
					t.Fatal(err)
				}
				got += m
			}
			out.Write(buf)
		}
	case '*', '~', '>':
		for i := 0; i < n; i++ {
			rc.read(t, out)
		}
	case '%':
		for i := 0; i < 2*n; i++ {
			rc.read(t, out)
		}
	}
}

func TestListRef(t *testing.T) {
	scripts := [][]string{
		{"rpush l a b c a b c", "lpop nokey", "lpop nokey 2", "lpop l 0", "lpop l -1", "lpop l x", "lpop l 1 2",
			"lpop l", "rpop l", "lpop l 2", "rpop l 9", "exists l", "rpop nokey 0"},
		{"set s x", "lpop s", "lpop s 2", "rpush s a", "lpushx s a", "llen s", "lindex s x", "lset s x v",
			"lrange s x 1", "lrange s 0 1", "ltrim s x 1", "ltrim s 0 1", "lrem s x a", "lrem s 0 a", "lpos s a",
			"lpos s a rank 0", "linsert s before a b", "linsert s middle a b", "lmove s d left left",
			"rpoplpush s d", "lmpop 1 s left", "lmpop 2 nokey s right count 2"},
		{"lpushx l a", "rpushx l a", "lpush l a b c", "rpushx l d e", "lpushx l z", "lrange l 0 -1",
			"llen l", "llen nokey", "lindex l 0", "lindex l -1", "lindex l 99", "lindex l -99", "lindex nokey x",
			"lset nokey x v", "lset l x v", "lset l 99 v", "lset l -1 Z", "lset l 0 A", "lrange l 0 -1"},
		{"rpush l 0 1 2 3 4 5 6", "lrange l -100 100", "lrange l 2 1", "lrange l -1 -2", "lrange l -3 -1",
			"lrange l 5 100", "lrange l 7 8", "lrange nokey 0 -1", "lrange nokey x 1", "ltrim nokey 0 1",
			"ltrim l 1 -2", "lrange l 0 -1", "ltrim l -2 -1", "lrange l 0 -1", "ltrim l 5 10", "exists l"},
		{"rpush l a b a c a d a", "lrem l 2 a", "lrange l 0 -1", "lrem l -1 a", "lrange l 0 -1", "lrem l 0 zz",
			"lrem l 0 a", "lrange l 0 -1", "lrem l -9223372036854775808 b", "lrem l 0 c", "lrem l 1 d", "exists l",
			"lrem nokey 1 a"},
		{"rpush l a b c", "linsert l before a x", "linsert l after c y", "linsert l after b z",
			"linsert l BEFORE zz q", "linsert nokey before a x", "lrange l 0 -1"},
		{"rpush l a b c 1 2 3 c c", "lpos l c", "lpos l c rank 2", "lpos l c rank -1", "lpos l c rank -2",
			"lpos l c count 0", "lpos l c count 2", "lpos l c count 0 rank -1", "lpos l c count 0 maxlen 3",
			"lpos l c rank -1 maxlen 1", "lpos l c rank -1 maxlen 2 count 0", "lpos l zz", "lpos l zz count 0",
			"lpos l c rank 0", "lpos l c count -1", "lpos l c count x", "lpos l c maxlen -1", "lpos l c maxlen x",
			"lpos l c rank x", "lpos l c foo", "lpos l c foo x", "lpos l c rank", "lpos nokey a", "lpos nokey a count 0",
			"lpos l c rank 1 rank 5", "lpos l c count 1 count 0", "lpos l c rank -9223372036854775808",
			"lpos l c rank 99 count 0"},
		{"rpush l a b c", "lmove l d left right", "lmove l d right left", "lrange d 0 -1", "lmove l l left right",
			"lrange l 0 -1", "lmove l d middle left", "lmove l d left middle", "lmove nokey d left left",
			"rpoplpush l d", "exists l", "lrange d 0 -1", "rpoplpush d d", "lrange d 0 -1", "rpush one x",
			"lmove one one left left", "lrange one 0 -1", "set s v", "lmove one s left left", "lrange one 0 -1"},
		{"rpush a 1 2 3", "rpush b 4 5", "lmpop 0 a left", "lmpop x a left", "lmpop 3 a b left",
			"lmpop 1 a middle", "lmpop 1 a left count 0", "lmpop 1 a left count x", "lmpop 1 a left count 1 count 1",
			"lmpop 1 a left foo", "lmpop 1 a left count", "lmpop 2 nokey b right", "lmpop 2 a b left count 9",
			"lmpop 2 a b right count 9", "lmpop 2 a b left", "lmpop 99999999999999999999 a left",
			"lmpop 9223372036854775807 a left"},
		{"rpush a 1 2 3 4", "blpop nokey a 0", "brpop a 0", "blpop a 0", "blpop a x", "blpop a -1",
			"rpush b x", "blmove b c left right 0", "brpoplpush c b 0", "blmpop 0 1 b left count 5",
			"blmpop x 1 b left", "blmpop 0 0 b left", "blmpop 0 1 b middle", "blmpop -1 1 b left",
			"blmpop 0 1 b left count 0", "blmove a b middle left x", "blmove a b left left x",
			"blpop a inf", "blpop a 1e20", "blpop a nan", "blpop a 9.3e15"},
		{"multi", "blpop nokey 0", "brpop nokey 0", "blmove nokey d left left 0", "brpoplpush nokey d 0",
			"blmpop 0 1 nokey left", "blpop nokey x", "exec"},
		{"set s v", "blpop s 0", "blmove s d left left 0", "blmpop 0 1 s left", "brpoplpush s d x"},
	}
	for _, proto := range []int{2, 3} {
		for i, script := range scripts {
			c, err := net.Dial("tcp", *refAddr)
			if err != nil {
				t.Skip("no reference redis:", err)
			}
			ref := &refConn{c: c, r: bufio.NewReader(c)}
			if proto == 3 {
				ref.do(t, "HELLO", "3")
			}
			ref.do(t, "SELECT", "9")
			ref.do(t, "FLUSHDB")
			te := newTestEngine(t)
			var queued [][]string
			multi := false
			for _, line := range script {
				args := strings.Fields(line)
				want := ref.do(t, args...)
				var got string
				switch strings.ToLower(args[0]) {
				case "multi":
					multi, got = true, "+OK\r\n"
				case "exec":
					w := &wire{proto: proto}
					cmds := make([][][]byte, len(queued))
					for j, q := range queued {
						for _, a := range q {
							cmds[j] = append(cmds[j], []byte(a))
						}
					}
					te.ExecMulti(0, nil, cmds, w)
					got, multi, queued = w.b.String(), false, nil
				default:
					if multi {
						queued, got = append(queued, args), "+QUEUED\r\n"
					} else {
						got = te.doRaw(proto, args...)
					}
				}
				if got != want {
					t.Errorf("RESP%d script %d: %s: got %q, want %q", proto, i, line, got, want)
				}
			}
			c.Close()
		}
	}
}
