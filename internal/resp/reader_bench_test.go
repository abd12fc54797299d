package resp

import (
	"bytes"
	"testing"
)

// BenchmarkReadCommand parses pipelined three-argument commands (LPUSH
// mylist <value>), as redis-benchmark -P 16 sends them.
func BenchmarkReadCommand(b *testing.B) {
	cmd := []byte("*3\r\n$5\r\nLPUSH\r\n$6\r\nmylist\r\n$3\r\nxxx\r\n")
	stream := bytes.Repeat(cmd, 1024)
	rd := bytes.NewReader(stream)
	r := NewReader(rd)
	b.ReportAllocs()
	b.SetBytes(int64(len(cmd)))
	for i := 0; b.Loop(); i++ {
		if i%1024 == 0 {
			rd.Reset(stream)
		}
		args, err := r.ReadCommand()
		if err != nil || len(args) != 3 {
			b.Fatal(err, len(args))
		}
	}
}
