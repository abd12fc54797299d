package cache

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// wire is a Reply that records RESP2 (or RESP3) text, so tests can compare
// replies with what redis-cli or a packet capture of Redis shows.
type wire struct {
	b     bytes.Buffer
	proto int
}

func (w *wire) line(prefix byte, s string) {
	w.b.WriteByte(prefix)
	w.b.WriteString(s)
	w.b.WriteString("\r\n")
}
func (w *wire) Status(s string) { w.line('+', s) }
func (w *wire) Error(s string)  { w.line('-', s) }
func (w *wire) Int(n int64)     { w.line(':', strconv.FormatInt(n, 10)) }
func (w *wire) Bulk(b []byte)   { w.BulkString(string(b)) }
func (w *wire) BulkString(s string) {
	w.line('$', strconv.Itoa(len(s)))
	w.b.WriteString(s + "\r\n")
}
func (w *wire) Null() {
	if w.proto == 3 {
		w.b.WriteString("_\r\n")
	} else {
		w.b.WriteString("$-1\r\n")
	}
}
func (w *wire) NullArray() {
	if w.proto == 3 {
		w.b.WriteString("_\r\n")
	} else {
		w.b.WriteString("*-1\r\n")
	}
}
func (w *wire) Array(n int) { w.line('*', strconv.Itoa(n)) }
func (w *wire) Map(n int) {
	if w.proto == 3 {
		w.line('%', strconv.Itoa(n))
	} else {
		w.line('*', strconv.Itoa(2*n))
	}
}
func (w *wire) Set(n int) {
	if w.proto == 3 {
		w.line('~', strconv.Itoa(n))
	} else {
		w.line('*', strconv.Itoa(n))
	}
}
func (w *wire) Double(f float64) {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	if w.proto == 3 {
		w.line(',', s)
	} else {
		w.BulkString(s)
	}
}
func (w *wire) Bool(b bool) {
	if w.proto == 3 {
		if b {
			w.line('#', "t")
		} else {
			w.line('#', "f")
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}
func (w *wire) Verbatim(s string) { w.BulkString(s) }
func (w *wire) Proto() int        { return max(w.proto, 2) }

// testEngine is an engine without a journal, with helpers to run commands.
type testEngine struct {
	*Engine
	t  *testing.T
	db int
}

func newTestEngine(t *testing.T) *testEngine {
	t.Helper()
	return &testEngine{Engine: New(DefaultConfig(), nil, nil), t: t}
}

// do runs one command (arguments as strings) and returns the RESP2 reply
// with CRLF shown as spaces between elements, e.g. "*2 $1 a $1 b" — see
// compact. Arity is checked as the front-end does.
func (te *testEngine) do(args ...string) string {
	te.t.Helper()
	return compact(te.doRaw(2, args...))
}

// doRaw runs a command and returns the exact reply bytes in protocol proto.
func (te *testEngine) doRaw(proto int, args ...string) string {
	te.t.Helper()
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	w := &wire{proto: proto}
	cmd := te.Lookup(bargs[0])
	switch {
	case cmd == nil:
		w.Error("ERR unknown command '" + args[0] + "'")
	case !cmd.CheckArity(len(bargs)):
		w.Error(WrongArity(strings.ToLower(args[0])))
	default:
		te.Exec(te.db, cmd, bargs, w)
	}
	return w.b.String()
}

// compact turns a RESP reply into a one-line form: elements separated by
// single spaces, bulk strings shown as their content only, e.g.
// "*2\r\n$1\r\na\r\n:5\r\n" becomes "*2 a :5", "$-1" stays "$-1", "+OK" stays.
func compact(s string) string {
	parts := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var out []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if len(p) > 1 && p[0] == '$' && p != "$-1" && i+1 < len(parts) {
			out = append(out, parts[i+1])
			i++
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, " ")
}

// expect runs a command and fails the test unless the compact reply is want.
func (te *testEngine) expect(want string, args ...string) {
	te.t.Helper()
	if got := te.do(args...); got != want {
		te.t.Errorf("%s: got %q, want %q", strings.Join(args, " "), got, want)
	}
}

func TestHarness(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect("v", "GET", "k")
	te.expect("$-1", "GET", "nope")
	te.expect(":1", "DEL", "k", "nope")
	te.expect("-ERR wrong number of arguments for 'get' command", "GET")
}
