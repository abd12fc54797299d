package storage

import (
	"errors"
	"io"
	"syscall"
	"testing"

	"triad/internal/storage/vfs"
	"triad/internal/storage/vfs/errorfs"
)

// afterFailure reopens the log on the underlying filesystem, after a crash,
// and checks it holds a prefix of what was appended that includes every
// entry synced before the failure.
func afterFailure(t *testing.T, m *vfs.MemFS, synced, appended uint64) {
	t.Helper()
	m.Crash()
	l := mustOpen(t, m, "/log", Options{})
	defer l.Close()
	if last := l.LastIndex(); last < synced || last > appended {
		t.Fatalf("after reopen LastIndex = %d; synced %d, appended %d", last, synced, appended)
	}
	checkLog(t, l, ents(1, l.LastIndex()+1, 1))
}

func TestShortWriteIsStickyError(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"short-write", io.ErrShortWrite}, {"enospc", errorfs.ErrNoSpace}, {"write-error", errorfs.ErrInjected}} {
		t.Run(tc.name, func(t *testing.T) {
			m := vfs.NewMem()
			efs := errorfs.Wrap(m)
			l := mustOpen(t, efs, "/log", Options{})
			l.Append(ents(1, 6, 1)...)
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			budget := int64(100)
			if tc.name == "write-error" {
				budget = 0
			}
			if budget > 0 {
				efs.Inject(errorfs.Rule{Op: errorfs.OpWrite, Pattern: "*.log", AfterBytes: budget, Err: tc.err})
			} else {
				efs.Inject(errorfs.Rule{Op: errorfs.OpWrite, Pattern: "*.log", Err: tc.err})
			}
			l.Append(ents(6, 16, 1)...)
			err := l.Sync()
			if !errors.Is(err, tc.err) || !errors.Is(err, ErrFailed) {
				t.Fatalf("Sync = %v; want %v wrapped in ErrFailed", err, tc.err)
			}
			if tc.err == errorfs.ErrNoSpace && !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("ENOSPC not visible in %v", err)
			}
			efs.Clear()
			// Sticky: nothing more is accepted even though the disk is fine now.
			if err := l.Append(ent(16, 1)); !errors.Is(err, ErrFailed) {
				t.Fatalf("Append after failure = %v", err)
			}
			if err := l.Sync(); !errors.Is(err, ErrFailed) {
				t.Fatalf("Sync after failure = %v", err)
			}
			afterFailure(t, m, 5, 15)
		})
	}
}

func TestFsyncErrorIsSticky(t *testing.T) {
	m := vfs.NewMem()
	efs := errorfs.Wrap(m)
	l := mustOpen(t, efs, "/log", Options{})
	l.Append(ents(1, 4, 1)...)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	efs.Inject(errorfs.Rule{Op: errorfs.OpSync, Pattern: "*.log", Times: 1})
	l.Append(ents(4, 8, 1)...)
	if err := l.Sync(); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Sync = %v, want the injected fsync error", err)
	}
	// The rule fired once; a retried fsync would "succeed" without the
	// data being safe, so the log must keep failing.
	if err := l.Sync(); !errors.Is(err, ErrFailed) {
		t.Fatalf("second Sync = %v; want sticky ErrFailed", err)
	}
	if l.SyncedIndex() != 3 {
		t.Fatalf("SyncedIndex = %d, want 3", l.SyncedIndex())
	}
	if err := l.Append(ent(8, 1)); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append = %v", err)
	}
	if l.Err() == nil {
		t.Fatal("Err() is nil")
	}
	afterFailure(t, m, 3, 7)
}

func TestRollFailureSurfaces(t *testing.T) {
	for _, op := range []errorfs.Op{errorfs.OpCreate, errorfs.OpSyncDir, errorfs.OpSync} {
		t.Run(op.String(), func(t *testing.T) {
			m := vfs.NewMem()
			efs := errorfs.Wrap(m)
			l := mustOpen(t, efs, "/log", Options{SegmentBytes: 200})
			efs.Inject(errorfs.Rule{Op: op})
			var err error
			for i := uint64(1); i < 20 && err == nil; i++ {
				err = l.Append(ent(i, 1))
			}
			if !errors.Is(err, errorfs.ErrInjected) {
				t.Fatalf("Append across a failing roll = %v", err)
			}
			efs.Clear()
			afterFailure(t, m, 0, 20)
		})
	}
}

func TestSyncDirFailureAtOpen(t *testing.T) {
	efs := errorfs.Wrap(vfs.NewMem())
	efs.Inject(errorfs.Rule{Op: errorfs.OpSyncDir})
	if _, err := OpenLog(efs, "/log", Options{}); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("OpenLog = %v", err)
	}
}
