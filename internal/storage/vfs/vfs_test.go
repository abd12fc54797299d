package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// eachFS runs a test on the real filesystem and on MemFS, which must agree.
func eachFS(t *testing.T, fn func(t *testing.T, fsys FS, dir string)) {
	t.Run("os", func(t *testing.T) { fn(t, OS(), t.TempDir()) })
	t.Run("mem", func(t *testing.T) {
		m := NewMem()
		if err := m.MkdirAll("/data", 0o755); err != nil {
			t.Fatal(err)
		}
		fn(t, m, "/data")
	})
}

func TestFileOps(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys FS, dir string) {
		name := filepath.Join(dir, "a")
		f, err := fsys.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("hello world")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if n, err := f.ReadAt(buf, 6); err != nil || string(buf[:n]) != "world" {
			t.Fatalf("ReadAt = %q, %v", buf[:n], err)
		}
		if n, err := f.ReadAt(buf, 9); n != 2 || err != io.EOF {
			t.Fatalf("ReadAt past end = %d, %v; want 2, EOF", n, err)
		}
		if err := f.Truncate(5); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("!")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil || st.Size() != 6 {
			t.Fatalf("Stat = %v, %v; want size 6", st, err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err == nil {
			t.Fatal("second Close succeeded")
		}

		r, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		all, err := io.ReadAll(r)
		if err != nil || string(all) != "hello!" {
			t.Fatalf("ReadAll = %q, %v", all, err)
		}
		if _, err := r.Write([]byte("x")); err == nil {
			t.Fatal("write to read-only file succeeded")
		}
		r.Close()

		if _, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("O_EXCL on existing file: %v", err)
		}
		if _, err := fsys.Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open missing: %v", err)
		}
		if err := fsys.Rename(name, filepath.Join(dir, "b")); err != nil {
			t.Fatal(err)
		}
		if err := fsys.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755); err != nil {
			t.Fatal(err)
		}
		names, err := fsys.ReadDir(dir)
		if err != nil || !slices.Equal(names, []string{"b", "sub"}) {
			t.Fatalf("ReadDir = %v, %v", names, err)
		}
		if st, err := fsys.Stat(filepath.Join(dir, "sub")); err != nil || !st.IsDir() {
			t.Fatalf("Stat dir = %v, %v", st, err)
		}
		if err := fsys.SyncDir(dir); err != nil {
			t.Fatal(err)
		}
		if err := fsys.Remove(filepath.Join(dir, "b")); err != nil {
			t.Fatal(err)
		}
		if _, err := fsys.Stat(filepath.Join(dir, "b")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Stat removed: %v", err)
		}
	})
}

func readFile(t *testing.T, fsys FS, name string) (string, bool) {
	t.Helper()
	f, err := fsys.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func write(t *testing.T, f File, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestMemCrashDropsUnsyncedData(t *testing.T) {
	m := NewMem()
	f, _ := m.Create("/f")
	write(t, f, "durable")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	write(t, f, "+lost")
	m.Crash()
	if got, _ := readFile(t, m, "/f"); got != "durable" {
		t.Fatalf("after crash: %q, want %q", got, "durable")
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("write through pre-crash handle: %v, want ErrCrashed", err)
	}
}

func TestMemCrashOverwriteOfSyncedBytes(t *testing.T) {
	m := NewMem()
	f, _ := m.Create("/f")
	write(t, f, "aaaa")
	f.Sync()
	m.SyncDir("/")
	f.Seek(0, io.SeekStart)
	write(t, f, "bb") // in place, unsynced: must not leak into the synced copy
	f.Truncate(1)
	m.Crash()
	if got, _ := readFile(t, m, "/f"); got != "aaaa" {
		t.Fatalf("after crash: %q, want aaaa", got)
	}
}

func TestMemCrashRevertsDirectoryChanges(t *testing.T) {
	m := NewMem()
	m.MkdirAll("/d", 0o755)
	old, _ := m.Create("/d/old")
	write(t, old, "old")
	old.Sync()
	m.SyncDir("/d")

	// Unsynced creation vanishes even though its data was synced.
	nf, _ := m.Create("/d/new")
	write(t, nf, "new")
	nf.Sync()
	// Unsynced removal and rename revert.
	m.Remove("/d/old")
	tmp, _ := m.Create("/d/tmp")
	tmp.Sync()
	m.Rename("/d/tmp", "/d/renamed")
	m.Crash()

	names, _ := m.ReadDir("/d")
	if !slices.Equal(names, []string{"old"}) {
		t.Fatalf("after crash: %v, want [old]", names)
	}
	if got, _ := readFile(t, m, "/d/old"); got != "old" {
		t.Fatalf("old = %q", got)
	}

	// Synced: survives.
	nf, _ = m.Create("/d/new")
	write(t, nf, "new")
	nf.Sync()
	m.SyncDir("/d")
	m.Crash()
	if got, ok := readFile(t, m, "/d/new"); !ok || got != "new" {
		t.Fatalf("synced file after crash: %q %v", got, ok)
	}
	if m.String() == "" {
		t.Fatal("String is empty")
	}
}

func TestMemCreatedButDataUnsynced(t *testing.T) {
	m := NewMem()
	f, _ := m.Create("/f")
	write(t, f, "data")
	m.SyncDir("/")
	m.Crash()
	if got, ok := readFile(t, m, "/f"); !ok || got != "" {
		t.Fatalf("got %q %v; want an empty file", got, ok)
	}
}
