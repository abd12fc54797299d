package errorfs

import (
	"errors"
	"io"
	"testing"

	"triad/internal/storage/vfs"
)

func TestShortWriteAndNoSpace(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"short", io.ErrShortWrite}, {"enospc", ErrNoSpace}} {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			e := Wrap(mem)
			e.Inject(Rule{Op: OpWrite, Pattern: "*.log", AfterBytes: 6, Err: tc.err})
			f, err := e.Create("/x.log")
			if err != nil {
				t.Fatal(err)
			}
			if n, err := f.Write([]byte("abcd")); n != 4 || err != nil {
				t.Fatalf("first write = %d, %v", n, err)
			}
			n, err := f.Write([]byte("efgh"))
			if n != 2 || !errors.Is(err, tc.err) {
				t.Fatalf("crossing write = %d, %v; want 2, %v", n, err, tc.err)
			}
			if _, err := f.Write([]byte("z")); !errors.Is(err, tc.err) {
				t.Fatalf("later write: %v", err)
			}
			// Other files are not matched.
			g, _ := e.Create("/y.txt")
			if _, err := g.Write([]byte("0123456789")); err != nil {
				t.Fatal(err)
			}
			st, _ := mem.Stat("/x.log")
			if st.Size() != 6 {
				t.Fatalf("size = %d, want the 6 bytes that fit", st.Size())
			}
			if e.Injected() != 2 {
				t.Fatalf("Injected = %d", e.Injected())
			}
		})
	}
}

func TestSyncErrorAfterCallsAndTimes(t *testing.T) {
	e := Wrap(vfs.NewMem())
	e.Inject(Rule{Op: OpSync, AfterCalls: 1, Times: 1})
	f, _ := e.Create("/f")
	if err := f.Sync(); err != nil {
		t.Fatalf("sync 1: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("sync 2: %v, want injected", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync 3 (rule exhausted): %v", err)
	}
	if got := e.Calls(OpSync); got != 3 {
		t.Fatalf("Calls(sync) = %d", got)
	}
	e.Inject(Rule{Op: OpSyncDir})
	if err := e.SyncDir("/"); !errors.Is(err, ErrInjected) {
		t.Fatalf("syncdir: %v", err)
	}
	e.Clear()
	if err := e.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	e.Inject(Rule{Op: OpCreate, Pattern: "seg*"})
	if _, err := e.Create("/seg1"); !errors.Is(err, ErrInjected) {
		t.Fatalf("create: %v", err)
	}
	if _, err := e.Create("/other"); err != nil {
		t.Fatal(err)
	}
}
