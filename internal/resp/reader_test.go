package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, in string) ([][]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(in))
	var out [][]string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		if args == nil {
			continue
		}
		var s []string
		for _, a := range args {
			s = append(s, string(a))
		}
		out = append(out, s)
	}
}

func TestReaderCommands(t *testing.T) {
	tests := []struct {
		in   string
		want [][]string
	}{
		{"*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", [][]string{{"SET", "k", ""}}},
		{"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n", [][]string{{"GET", "a"}, {"GET", "b"}}},
		{"PING\r\n", [][]string{{"PING"}}},
		{"PING\n", [][]string{{"PING"}}},
		{"set k \"a b\\x41\\n\"\r\n", [][]string{{"set", "k", "a bA\n"}}},
		{"set k 'it\\'s'\r\n", [][]string{{"set", "k", "it's"}}},
		{"\r\n\r\nPING\r\n", [][]string{{"PING"}}},
		{"*0\r\n*-1\r\nPING\r\n", [][]string{{"PING"}}},
		{"set k \"\"\r\n", [][]string{{"set", "k", ""}}},
	}
	for _, tt := range tests {
		got, err := readAll(t, tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func equal(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

func TestReaderProtocolErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"*x\r\n", "Protocol error: invalid multibulk length"},
		{"*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'"},
		{"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$3\r\nabcde\r\n", "Protocol error: invalid bulk length"},
		{"set k \"abc\r\n", "Protocol error: unbalanced quotes in request"},
		{strings.Repeat("a", 70000), "Protocol error: too big inline request"},
		{"*1\r\n$" + strings.Repeat("1", 70000), "Protocol error: too big bulk count string"},
		{"*" + strings.Repeat("1", 70000), "Protocol error: too big mbulk count string"},
	}
	for _, tt := range tests {
		_, err := readAll(t, tt.in)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Error() != tt.want {
			t.Errorf("%.40q: got %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestReaderMaxBulkAndQueryBuffer(t *testing.T) {
	r := NewReader(strings.NewReader("*1\r\n$2000\r\n"))
	r.MaxBulk = 1000
	if _, err := r.ReadCommand(); err == nil || !strings.Contains(err.Error(), "invalid bulk length") {
		t.Fatalf("bulk over proto-max-bulk-len: %v", err)
	}
	// A large argument is read correctly across many small reads.
	big := bytes.Repeat([]byte("x"), 200000)
	in := "*2\r\n$3\r\nSET\r\n$200000\r\n" + string(big) + "\r\n"
	r = NewReader(&oneByteReader{s: in})
	args, err := r.ReadCommand()
	if err != nil || len(args) != 2 || !bytes.Equal(args[1], big) {
		t.Fatalf("big arg: %v", err)
	}
}

// oneByteReader returns a few bytes per Read, to exercise buffering.
type oneByteReader struct {
	s string
	i int
}

func (o *oneByteReader) Read(p []byte) (int, error) {
	if o.i >= len(o.s) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], o.s[o.i:])
	o.i += n
	return n, nil
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"a b  c", []string{"a", "b", "c"}, true},
		{`"a\tb" 'c d'`, []string{"a\tb", "c d"}, true},
		{`"abc"def`, nil, false},
		{`'abc`, nil, false},
		{"", nil, true},
	}
	for _, tt := range tests {
		got, ok := SplitArgs([]byte(tt.in))
		var s []string
		for _, g := range got {
			s = append(s, string(g))
		}
		if ok != tt.ok || strings.Join(s, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%q: got %q %v, want %q %v", tt.in, s, ok, tt.want, tt.ok)
		}
	}
}

// FuzzReadCommand: any input either decodes or fails with an error; the
// reader never panics and re-encoding what it decoded decodes to the same.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{"*1\r\n$4\r\nPING\r\n", "PING\r\n", "set a \"b\\x41\"\r\n", "*2\r\n$1\r\na\r\n$-1\r\n", "*-1\r\n", "$5\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		r.MaxBulk = 1 << 16
		r.MaxQuery = 1 << 20
		for i := 0; i < 100; i++ {
			args, err := r.ReadCommand()
			if err != nil {
				return
			}
			if args == nil {
				continue
			}
			var enc bytes.Buffer
			enc.WriteString("*" + itoa(int64(len(args))) + "\r\n")
			for _, a := range args {
				enc.WriteString("$" + itoa(int64(len(a))) + "\r\n")
				enc.Write(a)
				enc.WriteString("\r\n")
			}
			back, err := NewReader(&enc).ReadCommand()
			if err != nil || len(back) != len(args) {
				t.Fatalf("round trip of %q: %v", args, err)
			}
			for j := range back {
				if !bytes.Equal(back[j], args[j]) {
					t.Fatalf("round trip changed arg %d", j)
				}
			}
		}
	})
}
