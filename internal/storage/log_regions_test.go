package storage

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"triad/internal/storage/vfs"
)

// regionData is entry i's data: a 5-byte prefix the regions skip, then a
// payload whose size alternates between small and large (≥ sendFileMin).
func regionData(i uint64) []byte {
	n := 100 + int(i%7)*10
	if i%3 == 0 {
		n = sendFileMin + int(i)*100
	}
	b := fmt.Appendf(nil, "h%04d", i%10000)
	for len(b) < 5+n {
		b = append(b, byte('a'+i%26), byte(len(b)))
	}
	return b[:5+n]
}

// sendThrough writes r with WriteTo over a loopback TCP connection and
// returns what the other end read.
func sendThrough(t *testing.T, r *Regions) []byte {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(c, 4096)
	bw.WriteString("<")
	if err := r.WriteTo(bw, c.(syscall.Conn)); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	bw.WriteString(">")
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	return <-got
}

// DataRegions hands out exactly the entries' data past the skipped prefix,
// by Bytes and by WriteTo to a socket (sendfile for the large regions on
// the real filesystem, copies on MemFS), across segments; and the regions
// stay readable while the log drops, rewrites and closes their segments.
func TestDataRegions(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		l := mustOpen(t, fsys, dir, Options{SegmentBytes: 64 << 10})
		for i := uint64(1); i <= 60; i++ {
			if err := l.Append(Entry{Index: i, Term: 1, Data: regionData(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if len(l.Sealed()) < 3 {
			t.Fatalf("want several segments, got %+v", l.Sealed())
		}
		idx := []uint64{2, 3, 4, 5, 9, 10, 11, 12, 30, 31, 57, 60} // buffered ones too: flushed on demand
		var want []byte
		for _, i := range idx {
			want = append(want, regionData(i)[5:]...)
		}
		r, err := l.DataRegions(idx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if r.Len() != len(want) || len(r.parts) != len(idx) {
			t.Fatalf("Len %d Count %d, want %d %d", r.Len(), len(r.parts), len(want), len(idx))
		}
		if b, err := r.Bytes(); err != nil || !bytes.Equal(b, want) {
			t.Fatalf("Bytes: %v (equal %v)", err, bytes.Equal(b, want))
		}
		if got := sendThrough(t, r); !bytes.Equal(got, append(append([]byte("<"), want...), '>')) {
			t.Fatalf("WriteTo sent %d bytes, want %d (+2)", len(got), len(want))
		}

		// The log lets go of the pinned files: the regions still read the old bytes.
		if err := l.DropPrefix(20); err != nil {
			t.Fatal(err)
		}
		seg := l.Sealed()[0]
		if _, err := l.Rewrite(seg.First, func(e Entry) []byte { return []byte("hXXXXrewritten") }); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := sendThrough(t, r); !bytes.Equal(got, append(append([]byte("<"), want...), '>')) {
			t.Fatalf("after drop/rewrite/close, WriteTo sent %d bytes, want %d (+2)", len(got), len(want))
		}
		r.Release()
		r.Release()
		if len(l.pins) != 0 || len(l.unpinClose) != 0 {
			t.Fatalf("files still pinned after Release: %v %v", l.pins, l.unpinClose)
		}

		l = mustOpen(t, fsys, dir, Options{SegmentBytes: 64 << 10})
		defer l.Close()
		if _, err := l.DataRegions([]uint64{1}, 5); err == nil {
			t.Fatal("DataRegions below the first index: want ErrCompacted")
		}
		if _, err := l.DataRegions([]uint64{61}, 5); err == nil {
			t.Fatal("DataRegions past the last index: want ErrUnavailable")
		}
		if _, err := l.DataRegions([]uint64{40, 40}, 5); err == nil {
			t.Fatal("DataRegions with repeated indexes: want an error")
		}
		if _, err := l.DataRegions([]uint64{40}, 1<<20); err == nil {
			t.Fatal("DataRegions skipping past the data: want an error")
		}
		if len(l.pins) != 0 {
			t.Fatalf("failed calls left pins: %v", l.pins)
		}
	})
}
