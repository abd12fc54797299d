package resp

import (
	"bytes"
	"math"
	"testing"
)

func TestWriterProtocols(t *testing.T) {
	tests := []struct {
		name   string
		write  func(w *Writer)
		r2, r3 string
	}{
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("a"); w.Int(1) }, "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"bool", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{"push", func(w *Writer) { w.Push(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", ">1\r\n$1\r\nm\r\n"},
		{"error newline", func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", "-ERR a  b\r\n"},
	}
	for _, tt := range tests {
		for _, p := range []int{2, 3} {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			w.SetProto(p)
			tt.write(w)
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			want := tt.r2
			if p == 3 {
				want = tt.r3
			}
			if buf.String() != want {
				t.Errorf("%s RESP%d: got %q, want %q", tt.name, p, buf.String(), want)
			}
		}
	}
}
