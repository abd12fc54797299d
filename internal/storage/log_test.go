package storage

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"triad/internal/storage/vfs"
)

// eachFS runs fn on MemFS and on the real filesystem.
func eachFS(t *testing.T, fn func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Run("mem", func(t *testing.T) { fn(t, vfs.NewMem(), "/log") })
	t.Run("os", func(t *testing.T) { fn(t, vfs.OS(), filepath.Join(t.TempDir(), "log")) })
}

func ent(i, term uint64) Entry {
	return Entry{Index: i, Term: term, Type: uint8(i % 3), Data: []byte(fmt.Sprintf("entry-%d-%d", i, term))}
}

func ents(lo, hi, term uint64) []Entry {
	var out []Entry
	for i := lo; i < hi; i++ {
		out = append(out, ent(i, term))
	}
	return out
}

func mustOpen(t *testing.T, fsys vfs.FS, dir string, opts Options) *Log {
	t.Helper()
	l, err := OpenLog(fsys, dir, opts)
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	return l
}

// checkLog verifies the log holds exactly want.
func checkLog(t *testing.T, l *Log, want []Entry) {
	t.Helper()
	if len(want) == 0 {
		if l.LastIndex() != l.FirstIndex()-1 {
			t.Fatalf("want empty log, have [%d, %d]", l.FirstIndex(), l.LastIndex())
		}
		return
	}
	if f, la := l.FirstIndex(), l.LastIndex(); f != want[0].Index || la != want[len(want)-1].Index {
		t.Fatalf("log spans [%d, %d], want [%d, %d]", f, la, want[0].Index, want[len(want)-1].Index)
	}
	got, err := l.Entries(want[0].Index, want[len(want)-1].Index+1, 0)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Entries returned %d, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.Term != w.Term || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("entry %d = %+v, want %+v", w.Index, g, w)
		}
		if term, err := l.Term(w.Index); err != nil || term != w.Term {
			t.Fatalf("Term(%d) = %d, %v; want %d", w.Index, term, err, w.Term)
		}
	}
}

func TestLogAppendReadReopen(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		opts := Options{SegmentBytes: 300} // a few records per segment
		l := mustOpen(t, fsys, dir, opts)
		checkLog(t, l, nil)
		if l.FirstIndex() != 1 {
			t.Fatalf("FirstIndex of a new log = %d", l.FirstIndex())
		}
		want := ents(1, 41, 1)
		want = append(want, ents(41, 61, 2)...)
		for _, e := range want {
			if err := l.Append(e); err != nil {
				t.Fatal(err)
			}
		}
		checkLog(t, l, want) // read through the buffer (Entries flushes)
		if len(l.segs) < 5 {
			t.Fatalf("only %d segments; rolling is not exercised", len(l.segs))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ent(61, 2)); !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Close: %v", err)
		}
		l = mustOpen(t, fsys, dir, opts)
		checkLog(t, l, want)
		if err := l.Append(ent(61, 2)); err != nil {
			t.Fatal(err)
		}
		checkLog(t, l, append(want, ent(61, 2)))
		l.Close()
	})
}

func TestLogAppendRules(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), "/log", Options{})
	defer l.Close()
	if err := l.Append(ent(2, 1)); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("gap: %v", err)
	}
	if err := l.Append(ent(1, 1), ent(3, 1)); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("non-consecutive: %v", err)
	}
	if err := l.Append(ents(1, 11, 1)...); err != nil {
		t.Fatal(err)
	}
	// Raft overwrite: appending at 6 replaces 6..10.
	if err := l.Append(ents(6, 8, 2)...); err != nil {
		t.Fatal(err)
	}
	checkLog(t, l, append(ents(1, 6, 1), ents(6, 8, 2)...))
	if _, err := l.Entries(0, 3, 0); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Entries below first: %v", err)
	}
	if _, err := l.Entries(5, 9, 0); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Entries beyond last: %v", err)
	}
	if _, err := l.Term(8); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Term beyond last: %v", err)
	}
}

func TestLogEntriesMaxBytes(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), "/log", Options{SegmentBytes: 200})
	defer l.Close()
	l.Append(ents(1, 21, 1)...)
	one := uint64(recordSize(&[]Entry{ent(1, 1)}[0]))
	for _, tc := range []struct {
		max  uint64
		want int
	}{{0, 20}, {1, 1}, {one, 1}, {2*one + 1, 2}, {5 * one, 5}} {
		got, err := l.Entries(1, 21, tc.max)
		if err != nil || len(got) != tc.want {
			t.Errorf("Entries(max %d) = %d entries, %v; want %d", tc.max, len(got), err, tc.want)
		}
	}
}

func TestLogTruncateSuffix(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		opts := Options{SegmentBytes: 200}
		l := mustOpen(t, fsys, dir, opts)
		l.Append(ents(1, 31, 1)...)
		nseg := len(l.segs)
		if err := l.TruncateSuffix(12); err != nil {
			t.Fatal(err)
		}
		checkLog(t, l, ents(1, 12, 1))
		if len(l.segs) >= nseg {
			t.Fatalf("segments %d → %d: none removed", nseg, len(l.segs))
		}
		l.Append(ents(12, 15, 3)...)
		want := append(ents(1, 12, 1), ents(12, 15, 3)...)
		checkLog(t, l, want)
		l.Close()
		l = mustOpen(t, fsys, dir, opts)
		checkLog(t, l, want)
		// Truncating everything keeps the log's position.
		if err := l.TruncateSuffix(1); err != nil {
			t.Fatal(err)
		}
		checkLog(t, l, nil)
		if err := l.Append(ent(1, 4)); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l = mustOpen(t, fsys, dir, opts)
		checkLog(t, l, []Entry{ent(1, 4)})
		l.Close()
	})
}

func TestLogTruncateSuffixIsDurable(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/log", Options{})
	l.Append(ents(1, 11, 1)...)
	l.Sync()
	l.TruncateSuffix(5)
	// A crash right after the truncation must not bring 5..10 back.
	m.Crash()
	l = mustOpen(t, m, "/log", Options{})
	checkLog(t, l, ents(1, 5, 1))
	l.Close()
}

func TestLogDropPrefix(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		opts := Options{SegmentBytes: 200}
		l := mustOpen(t, fsys, dir, opts)
		l.Append(ents(1, 31, 1)...)
		l.Append(ents(31, 41, 2)...)
		if err := l.DropPrefix(17); err != nil {
			t.Fatal(err)
		}
		first := l.FirstIndex()
		if first > 18 || first < 2 {
			t.Fatalf("FirstIndex after DropPrefix(17) = %d; want whole segments dropped, ≤ 18", first)
		}
		checkLog(t, l, append(ents(first, 31, 1), ents(31, 41, 2)...))
		if _, err := l.Term(first - 1); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Term below first: %v", err)
		}
		// The active segment is never dropped: the log keeps its position.
		if err := l.DropPrefix(1000); err != nil {
			t.Fatal(err)
		}
		if len(l.segs) != 1 || l.LastIndex() != 40 {
			t.Fatalf("after dropping everything: %d segments, last %d", len(l.segs), l.LastIndex())
		}
		l.Close()
		l = mustOpen(t, fsys, dir, opts)
		if l.LastIndex() != 40 {
			t.Fatalf("reopened LastIndex = %d", l.LastIndex())
		}
		if err := l.Append(ent(41, 2)); err != nil {
			t.Fatal(err)
		}
		l.Close()
	})
}
