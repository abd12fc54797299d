package storage

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"triad/internal/storage/vfs"
)

func writeSnap(t *testing.T, fsys vfs.FS, dir string, index uint64, body string) string {
	t.Helper()
	p, err := WriteSnapshotFile(fsys, dir, index, func(w io.Writer) error {
		_, err := io.WriteString(w, body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readSnap(t *testing.T, open func() (io.ReadCloser, error)) (string, error) {
	t.Helper()
	r, err := open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestSnapshotFiles(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		if _, _, ok, err := LatestSnapshot(fsys, dir); ok || err != nil {
			t.Fatalf("no dir: ok=%v err=%v", ok, err)
		}
		for _, i := range []uint64{10, 20, 30} {
			writeSnap(t, fsys, dir, i, strings.Repeat("s", int(i)))
		}
		// A stray temp file of a newer snapshot (a crash mid-write) is ignored.
		f, _ := fsys.Create(dir + "/" + snapshotName(40) + tmpSuffix)
		f.Write([]byte("partial"))
		f.Close()
		idx, open, ok, err := LatestSnapshot(fsys, dir)
		if err != nil || !ok || idx != 30 {
			t.Fatalf("LatestSnapshot = %d %v %v", idx, ok, err)
		}
		if body, err := readSnap(t, open); err != nil || body != strings.Repeat("s", 30) {
			t.Fatalf("read = %q, %v", body, err)
		}
		names, _ := fsys.ReadDir(dir)
		want := []string{snapshotName(20), snapshotName(30), snapshotName(40) + tmpSuffix}
		if !slices.Equal(names, want) {
			t.Fatalf("dir = %v, want %v (keep the newest two)", names, want)
		}
	})
}

func TestSnapshotWriteErrorLeavesNothing(t *testing.T) {
	m := vfs.NewMem()
	writeSnap(t, m, "/s", 5, "old")
	_, err := WriteSnapshotFile(m, "/s", 9, func(w io.Writer) error { return errors.New("boom") })
	if err == nil {
		t.Fatal("error swallowed")
	}
	idx, open, ok, _ := LatestSnapshot(m, "/s")
	if !ok || idx != 5 {
		t.Fatalf("latest = %d %v", idx, ok)
	}
	if body, err := readSnap(t, open); body != "old" || err != nil {
		t.Fatalf("%q %v", body, err)
	}
	if names, _ := m.ReadDir("/s"); len(names) != 1 {
		t.Fatalf("temp file left behind: %v", names)
	}
}

func TestSnapshotCrashAndCorruption(t *testing.T) {
	m := vfs.NewMem()
	p := writeSnap(t, m, "/s", 7, "state")
	m.Crash() // durable when WriteSnapshotFile returns
	_, open, ok, _ := LatestSnapshot(m, "/s")
	if body, err := readSnap(t, open); !ok || body != "state" || err != nil {
		t.Fatalf("after crash: %q %v %v", body, ok, err)
	}
	b := readAll(t, m, p)
	b[1] ^= 1
	writeAll(t, m, p, b)
	_, err := readSnap(t, open)
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.File != p {
		t.Fatalf("corrupt snapshot read: %v", err)
	}
}
