package storage

import (
	"bytes"
	"fmt"
	"testing"

	"triad/internal/storage/vfs"
)

// Rewrite replaces a sealed segment's data whole: readers and a reopened
// log see the new data with the same indexes and terms, and a crash in the
// middle (a leftover .rewrite file) leaves the old segment in force.
func TestRewriteSealedSegment(t *testing.T) {
	m := vfs.NewMem()
	l, err := OpenLog(m, "/log", Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 40; i++ {
		if err := l.Append(Entry{Index: i, Term: 1 + i/20, Data: fmt.Appendf(nil, "entry-%02d-payload", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	sealed := l.Sealed()
	if len(sealed) < 2 {
		t.Fatalf("want several sealed segments, got %+v", sealed)
	}
	seg := sealed[1]
	changed, err := l.Rewrite(seg.First, func(e Entry) []byte {
		if e.Index%2 == 0 {
			return fmt.Appendf(nil, "short-%d", e.Index)
		}
		return nil
	})
	if err != nil || !changed {
		t.Fatalf("Rewrite: %v %v", changed, err)
	}
	check := func(l *Log) {
		t.Helper()
		ents, err := l.Entries(1, 41, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			want := fmt.Appendf(nil, "entry-%02d-payload", e.Index)
			if e.Index >= seg.First && e.Index <= seg.Last && e.Index%2 == 0 {
				want = fmt.Appendf(nil, "short-%d", e.Index)
			}
			if !bytes.Equal(e.Data, want) || e.Term != 1+e.Index/20 {
				t.Fatalf("entry %d: %q term %d", e.Index, e.Data, e.Term)
			}
		}
	}
	check(l)
	if got := l.Sealed()[1]; got.Bytes >= seg.Bytes {
		t.Fatalf("rewritten segment is %d bytes, was %d", got.Bytes, seg.Bytes)
	}
	l.Close()
	// A crash mid-rewrite leaves a partial file: ignored and removed.
	f, _ := m.Create(fmt.Sprintf("/log/%020d.log%s", seg.First, rewriteSuffix))
	f.Write([]byte("partial"))
	f.Close()
	l2, err := OpenLog(m, "/log", Options{SegmentBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	check(l2)
	names, _ := m.ReadDir("/log")
	for _, n := range names {
		if bytes.HasSuffix([]byte(n), []byte(rewriteSuffix)) {
			t.Fatalf("leftover %s not removed", n)
		}
	}
	if _, err := l2.Rewrite(l2.Sealed()[0].First+1, func(Entry) []byte { return nil }); err == nil {
		t.Fatal("Rewrite of a segment that does not exist succeeded")
	}
}
