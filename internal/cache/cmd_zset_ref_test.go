//go:build redisref

package cache

// A differential test of the sorted sets against a real Redis 7.0: every
// golden table of the zset tests is replayed on both, in RESP2 and in RESP3,
// and the exact reply bytes must agree. Run with
//
//	go test -tags redisref ./internal/cache -run TestZSetRef -redis 127.0.0.1:6379
//
// against a throwaway redis-server: the test flushes its database 9.
//
// TestZSetRefGen records the tables from corpora (one command a line;
// '' is the empty argument, a token in double quotes is a Go string
// literal; a line starting with # is a comment):
//
//	go test -tags redisref ./internal/cache -run TestZSetRefGen -redis … \
//	    -zset-corpus dir/name.txt -zset-table zgoldName

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

var (
	zsetCorpus = flag.String("zset-corpus", "", "corpus file for TestZSetRefGen")
	zsetTable  = flag.String("zset-table", "", "name of the Go table TestZSetRefGen prints")
)

func zsetGoldens() map[string][][]string {
	return map[string][][]string{
		"add": zgoldAdd, "read": zgoldRead, "range": zgoldRange, "rangeErr": zgoldRangeErr,
		"lex": zgoldLex, "rem": zgoldRemrange, "store": zgoldStore, "algebra": zgoldAlgebra,
		"pop": zgoldPop, "scan": zgoldScan, "encoding": zgoldEncoding, "scores": zgoldScores,
	}
}

func zrefDial(t *testing.T, proto int) *refConn {
	t.Helper()
	c, err := net.Dial("tcp", *refAddr)
	if err != nil {
		t.Skip("no reference redis:", err)
	}
	t.Cleanup(func() { c.Close() })
	ref := &refConn{c: c, r: bufio.NewReader(c)}
	ref.do(t, "HELLO", strconv.Itoa(proto))
	ref.do(t, "SELECT", "9")
	ref.do(t, "FLUSHDB")
	return ref
}

func TestZSetRef(t *testing.T) {
	for name, table := range zsetGoldens() {
		for proto := 2; proto <= 3; proto++ {
			ref := zrefDial(t, proto)
			te := newTestEngine(t)
			for _, tc := range table {
				args := tc[2:]
				want := ref.do(t, args...)
				if got := zdoRaw(te, proto, args...); got != want {
					t.Errorf("%s RESP%d %s:\n got %q\nwant %q", name, proto, strings.Join(args, " "), got, want)
				}
				if rec := tc[proto-2]; rec != compact(want) {
					t.Errorf("%s RESP%d %s: recorded %q, redis now %q", name, proto, strings.Join(args, " "), rec, compact(want))
				}
			}
		}
	}
}

// zcorpusArgs splits a corpus line into arguments.
func zcorpusArgs(t *testing.T, line string) []string {
	args := strings.Fields(line)
	for i, a := range args {
		switch {
		case a == "''":
			args[i] = ""
		case strings.HasPrefix(a, `"`):
			s, err := strconv.Unquote(a)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			args[i] = s
		}
	}
	return args
}

// TestZSetRefGen writes the Go table for a corpus (to corpus.go.txt), with each reply
// recorded from the reference server in RESP2 and in RESP3.
func TestZSetRefGen(t *testing.T) {
	if *zsetCorpus == "" {
		t.Skip("no -zset-corpus")
	}
	data, err := os.ReadFile(*zsetCorpus)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var replies [2][]string
	for proto := 2; proto <= 3; proto++ {
		ref := zrefDial(t, proto)
		for _, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			replies[proto-2] = append(replies[proto-2], compact(ref.do(t, zcorpusArgs(t, line)...)))
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "var %s = [][]string{\n", *zsetTable)
	i := 0
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if line[0] == '#' {
			fmt.Fprintf(&out, "\t// %s\n", strings.TrimSpace(line[1:]))
			continue
		}
		args := zcorpusArgs(t, line)
		q := []string{strconv.Quote(replies[0][i]), strconv.Quote(replies[1][i])}
		for _, a := range args {
			q = append(q, strconv.Quote(a))
		}
		fmt.Fprintf(&out, "\t{%s},\n", strings.Join(q, ", "))
		i++
	}
	out.WriteString("}\n")
	if err := os.WriteFile(*zsetCorpus+".go.txt", []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
