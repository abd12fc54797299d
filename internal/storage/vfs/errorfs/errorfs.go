// Package errorfs wraps a vfs.FS and injects failures by rule, in the manner
// of pebble's vfs/errorfs: a rule names an operation, a file-name pattern and
// when to start failing (after N matching calls, or once N bytes have been
// written to matching files), and what to fail with. Short writes and a full
// disk are writes that store part of their bytes before failing, as the
// kernel's write(2) does.
package errorfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"triad/internal/storage/vfs"
)

// Op is an operation a rule can match.
type Op uint8

const (
	OpWrite Op = iota
	OpSync
	OpRead
	OpCreate // OpenFile with O_CREATE, and Create
	OpOpen   // OpenFile without O_CREATE, and Open
	OpRemove
	OpRename
	OpTruncate
	OpSyncDir
	numOps
)

var opNames = [...]string{"write", "sync", "read", "create", "open", "remove", "rename", "truncate", "syncdir"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// ErrInjected is the default error a rule injects.
var ErrInjected = errors.New("errorfs: injected error")

// ErrNoSpace is the disk-full error, as the OS reports it.
var ErrNoSpace error = syscall.ENOSPC

// Rule says which operations fail and how.
type Rule struct {
	Op Op
	// Pattern is matched against the file's base name with filepath.Match
	// (for SyncDir, the directory's); empty matches everything.
	Pattern string
	// AfterCalls lets this many matching calls succeed before failing.
	AfterCalls int
	// AfterBytes (OpWrite only), when positive, lets this many bytes in
	// total be written to matching files; the write that crosses the
	// budget stores the bytes that fit and then fails: a short write or,
	// with Err = ErrNoSpace, a full disk. It replaces AfterCalls.
	AfterBytes int64
	// Times is how many failures to inject; 0 means every matching call
	// from then on.
	Times int
	// Err is what the failing call returns; ErrInjected if nil.
	Err error

	calls    int
	written  int64
	injected int
}

// FS is the error-injecting wrapper.
type FS struct {
	inner vfs.FS
	mu    sync.Mutex
	rules []*Rule
	calls [numOps]int
	hits  int
}

// Wrap returns fs with no rules: it passes everything through and counts.
func Wrap(fs vfs.FS) *FS { return &FS{inner: fs} }

// Inject adds a rule and returns it.
func (e *FS) Inject(r Rule) *Rule {
	e.mu.Lock()
	defer e.mu.Unlock()
	rr := r
	e.rules = append(e.rules, &rr)
	return &rr
}

// Clear removes every rule.
func (e *FS) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules = nil
}

// Injected is how many failures have been injected so far.
func (e *FS) Injected() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hits
}

// Calls is how many operations of kind op were attempted.
func (e *FS) Calls(op Op) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[op]
}

// check decides the fate of one call. For writes of n bytes it returns how
// many may be written before err (n when err is nil).
func (e *FS) check(op Op, name string, n int) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[op]++
	base := filepath.Base(name)
	for _, r := range e.rules {
		if r.Op != op || (r.Times > 0 && r.injected >= r.Times) {
			continue
		}
		if r.Pattern != "" {
			if ok, _ := filepath.Match(r.Pattern, base); !ok {
				continue
			}
		}
		err := r.Err
		if err == nil {
			err = ErrInjected
		}
		if op == OpWrite && r.AfterBytes > 0 {
			left := r.AfterBytes - r.written
			if int64(n) <= left {
				r.written += int64(n)
				continue
			}
			r.written = r.AfterBytes
			r.injected++
			e.hits++
			return int(max(left, 0)), err
		}
		r.calls++
		if r.calls <= r.AfterCalls {
			continue
		}
		r.injected++
		e.hits++
		return 0, err
	}
	return n, nil
}

func pathErr(op Op, name string, err error) error {
	return &os.PathError{Op: op.String(), Path: name, Err: err}
}

func (e *FS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	op := OpOpen
	if flag&os.O_CREATE != 0 {
		op = OpCreate
	}
	if _, err := e.check(op, name, 0); err != nil {
		return nil, pathErr(op, name, err)
	}
	f, err := e.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: e, name: name}, nil
}

func (e *FS) Create(name string) (vfs.File, error) {
	return e.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (e *FS) Open(name string) (vfs.File, error) { return e.OpenFile(name, os.O_RDONLY, 0) }

func (e *FS) Remove(name string) error {
	if _, err := e.check(OpRemove, name, 0); err != nil {
		return pathErr(OpRemove, name, err)
	}
	return e.inner.Remove(name)
}

func (e *FS) Rename(oldname, newname string) error {
	if _, err := e.check(OpRename, newname, 0); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return e.inner.Rename(oldname, newname)
}

func (e *FS) MkdirAll(dir string, perm os.FileMode) error { return e.inner.MkdirAll(dir, perm) }
func (e *FS) ReadDir(dir string) ([]string, error)        { return e.inner.ReadDir(dir) }
func (e *FS) Stat(name string) (os.FileInfo, error)       { return e.inner.Stat(name) }

func (e *FS) SyncDir(dir string) error {
	if _, err := e.check(OpSyncDir, dir, 0); err != nil {
		return pathErr(OpSyncDir, dir, err)
	}
	return e.inner.SyncDir(dir)
}

type file struct {
	vfs.File
	fs   *FS
	name string
}

func (f *file) Write(p []byte) (int, error) {
	n, ierr := f.fs.check(OpWrite, f.name, len(p))
	if n > 0 {
		w, err := f.File.Write(p[:n])
		if err != nil {
			return w, err
		}
	}
	if ierr != nil {
		return n, pathErr(OpWrite, f.name, ierr)
	}
	return n, nil
}

func (f *file) Read(p []byte) (int, error) {
	if _, err := f.fs.check(OpRead, f.name, 0); err != nil {
		return 0, pathErr(OpRead, f.name, err)
	}
	return f.File.Read(p)
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if _, err := f.fs.check(OpRead, f.name, 0); err != nil {
		return 0, pathErr(OpRead, f.name, err)
	}
	return f.File.ReadAt(p, off)
}

func (f *file) Sync() error {
	if _, err := f.fs.check(OpSync, f.name, 0); err != nil {
		return pathErr(OpSync, f.name, err)
	}
	return f.File.Sync()
}

func (f *file) Truncate(size int64) error {
	if _, err := f.fs.check(OpTruncate, f.name, 0); err != nil {
		return pathErr(OpTruncate, f.name, err)
	}
	return f.File.Truncate(size)
}

var _ io.ReaderAt = (*file)(nil)
