package storage

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"triad/internal/storage/vfs"
)

func readAll(t *testing.T, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeAll(t *testing.T, fsys vfs.FS, name string, b []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.Close()
}

// logBuffer captures slog output so tests can check the warning is there.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// TestTornTailEveryOffset cuts the last record at every byte offset: the log
// must open with exactly the whole records before the cut, warn, and accept
// appends.
func TestTornTailEveryOffset(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/src", Options{PreallocBytes: -1}) // the file ends at the data
	want := ents(1, 6, 1)
	l.Append(want...)
	l.Close()
	seg := "/src/" + segmentName(1)
	full := readAll(t, m, seg)
	lastStart := full[:len(full)-recordSize(&want[4])]
	for cut := len(lastStart); cut < len(full); cut++ {
		fsys := vfs.NewMem()
		fsys.MkdirAll("/log", 0o755)
		writeAll(t, fsys, "/log/"+segmentName(1), full[:cut])
		logger, buf := logBuffer()
		l, err := OpenLog(fsys, "/log", Options{Logger: logger})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		checkLog(t, l, want[:4])
		if cut > len(lastStart) && !strings.Contains(buf.String(), "torn") {
			t.Fatalf("cut at %d: no warning logged: %q", cut, buf.String())
		}
		if err := l.Append(ent(5, 2)); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l = mustOpen(t, fsys, "/log", Options{})
		checkLog(t, l, append(want[:4:4], ent(5, 2)))
		l.Close()
	}
}

// A corrupt last record with nothing valid after it is a torn tail too
// (e.g. a sector of garbage); so is a zero-filled tail.
func TestCorruptLastRecordIsTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mangle func(b []byte) []byte
	}{
		{"bitflip", func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b }},
		{"zeros", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			l := mustOpen(t, m, "/log", Options{PreallocBytes: -1}) // the file ends at the data
			l.Append(ents(1, 6, 1)...)
			l.Close()
			p := "/log/" + segmentName(1)
			writeAll(t, m, p, tc.mangle(readAll(t, m, p)))
			l = mustOpen(t, m, "/log", Options{})
			n := 5
			if tc.name == "bitflip" {
				n = 4
			}
			checkLog(t, l, ents(1, uint64(n)+1, 1))
			l.Close()
		})
	}
}

// corruptMiddle builds a 3-segment log and flips a byte inside record 2 of
// the segment named by which (0 = first).
func corruptMiddle(t *testing.T, which int) (*vfs.MemFS, string, int64) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/log", Options{SegmentBytes: 200})
	l.Append(ents(1, 16, 1)...)
	if len(l.segs) < 3 {
		t.Fatalf("want ≥ 3 segments, have %d", len(l.segs))
	}
	s := l.segs[which]
	off := s.offsets.at(1)
	l.Close()
	b := readAll(t, m, s.path)
	b[off+recordHeader+3] ^= 0xff // inside the index field
	writeAll(t, m, s.path, b)
	return m, s.path, off
}

func TestCorruptionMidLogFailsOpen(t *testing.T) {
	for _, which := range []int{0, 1} {
		m, path, off := corruptMiddle(t, which)
		_, err := OpenLog(m, "/log", Options{})
		var ce *CorruptionError
		if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("segment %d: OpenLog = %v; want *CorruptionError", which, err)
		}
		if ce.File != path || ce.Offset != off {
			t.Fatalf("corruption at %s:%d, want %s:%d", ce.File, ce.Offset, path, off)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "offset") {
			t.Fatalf("message %q does not name file and offset", msg)
		}
	}
}

// Damage in the last segment that is followed by valid records is not a
// torn tail: Open must refuse rather than silently drop the later records.
func TestCorruptionInLastSegmentWithValidAfter(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/log", Options{})
	l.Append(ents(1, 6, 1)...)
	off := l.segs[0].offsets.at(2)
	l.Close()
	p := "/log/" + segmentName(1)
	b := readAll(t, m, p)
	b[off+recordHeader+20] ^= 1 // in the term: checksum mismatch
	writeAll(t, m, p, b)
	_, err := OpenLog(m, "/log", Options{})
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.Offset != off || !strings.Contains(ce.Reason, "valid record follows") {
		t.Fatalf("OpenLog = %v; want corruption at %d with a valid record after", err, off)
	}
}

func TestRepairTruncatesAtFirstCorruption(t *testing.T) {
	m, _, _ := corruptMiddle(t, 1)
	l, err := OpenLog(m, "/log", Options{SegmentBytes: 200, Repair: true})
	if err != nil {
		t.Fatal(err)
	}
	// Segment 0 intact; segment 1 keeps its first record only.
	want := ents(1, l.segs[1].first+1, 1)
	checkLog(t, l, want)
	if len(l.segs) != 2 {
		t.Fatalf("%d segments after repair, want 2 (later ones removed)", len(l.segs))
	}
	next := want[len(want)-1].Index + 1
	if err := l.Append(ent(next, 2)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	// The repair is durable: a clean open without Repair now succeeds.
	l = mustOpen(t, m, "/log", Options{SegmentBytes: 200})
	checkLog(t, l, append(want, ent(next, 2)))
	l.Close()
}

func TestSegmentGapIsCorruption(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/log", Options{SegmentBytes: 200})
	l.Append(ents(1, 16, 1)...)
	mid := l.segs[1].path
	l.Close()
	m.Remove(mid)
	_, err := OpenLog(m, "/log", Options{})
	var ce *CorruptionError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "expected") {
		t.Fatalf("OpenLog = %v; want a gap reported", err)
	}
}

// A crash right after a roll can leave the new segment with no header (the
// directory entry was synced, the file's data not): it is an empty tail.
func TestCrashAfterRollLeavesHeaderlessSegment(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/log", Options{SegmentBytes: 200})
	l.Append(ents(1, 16, 1)...)
	last := l.LastIndex()
	synced := l.SyncedIndex()
	m.Crash()
	l = mustOpen(t, m, "/log", Options{SegmentBytes: 200})
	if l.LastIndex() < synced || l.LastIndex() > last {
		t.Fatalf("LastIndex %d after crash; synced %d, appended %d", l.LastIndex(), synced, last)
	}
	checkLog(t, l, ents(1, l.LastIndex()+1, 1))
	l.Close()
}

// The active segment is written into zero-filled space ahead of its data;
// reopening finds that zero tail to be the clean end (no warning), and a
// sealed segment is cut to its data.
func TestPreallocatedTail(t *testing.T) {
	m := vfs.NewMem()
	logger, buf := logBuffer()
	opts := Options{SegmentBytes: 4 << 10, PreallocBytes: 8 << 10, Logger: logger}
	l := mustOpen(t, m, "/log", opts)
	want := ents(1, 400, 1)
	if err := l.Append(want...); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	names, _ := m.ReadDir("/log")
	if len(names) < 2 {
		t.Fatalf("want several segments, got %v", names)
	}
	for i, n := range names {
		st, _ := m.Stat("/log/" + n)
		data := dataEnd(t, m, "/log/"+n)
		if i < len(names)-1 && st.Size() != data {
			t.Fatalf("sealed segment %s is %d bytes, its data %d", n, st.Size(), data)
		}
		if i == len(names)-1 && st.Size() <= data {
			t.Fatalf("active segment %s has no preallocated tail (%d bytes, data %d)", n, st.Size(), data)
		}
	}
	l = mustOpen(t, m, "/log", opts)
	checkLog(t, l, want)
	if strings.Contains(buf.String(), "torn") {
		t.Fatalf("a zero tail was reported as torn: %q", buf.String())
	}
	// Appends go over the zeros; a power loss keeps what was synced.
	more := ents(400, 405, 2)
	if err := l.Append(more...); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Append(ents(405, 410, 2)...) // not synced
	m.Crash()
	l.Close()
	l = mustOpen(t, m, "/log", opts)
	defer l.Close()
	if last := l.LastIndex(); last < 404 {
		t.Fatalf("synced entries lost: last index %d", last)
	}
	checkLog(t, l, append(want[:len(want):len(want)], more...)[:l.LastIndex()])
}

// dataEnd is the end of the last whole record of a segment file.
func dataEnd(t *testing.T, fsys vfs.FS, name string) int64 {
	t.Helper()
	b := readAll(t, fsys, name)
	off := int64(segmentHeader)
	for int(off)+recordHeader <= len(b) {
		n, err := bodyLen(b[off:off+recordHeader], int64(len(b))-off)
		if err != nil || n == 0 {
			break
		}
		if _, _, err := decodeRecord(b[off : off+int64(recordHeader+n)]); err != nil {
			break
		}
		off += int64(recordHeader + n)
	}
	return off
}
