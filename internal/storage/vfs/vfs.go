// Package vfs is the filesystem seam of the storage layer. Everything in
// internal/storage touches disk only through FS, so tests can run the same
// code on the real filesystem (OS), on an in-memory filesystem that models
// what a power failure keeps and loses (NewMem, Crash), and on an
// error-injecting wrapper (package errorfs).
//
// The durability model is POSIX's, made explicit:
//   - bytes written to a File are durable once File.Sync returns nil;
//   - creating, renaming or removing a file is durable once SyncDir of its
//     directory returns nil (for a rename, of both directories);
//   - MkdirAll is treated as durable at once (the storage layer creates its
//     directories once, at start-up, and syncs their parent is not modelled).
package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// File is an open file. *os.File implements it.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Seeker
	io.Closer
	// Sync makes the data written so far durable (fsync).
	Sync() error
	// Truncate changes the file's size; it does not move the offset.
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
}

// FS is the set of filesystem operations the storage layer uses.
type FS interface {
	// OpenFile opens name with os.O_* flags, as os.OpenFile does.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Create creates or truncates name for reading and writing.
	Create(name string) (File, error)
	// Open opens name read-only.
	Open(name string) (File, error)
	Remove(name string) error
	Rename(oldname, newname string) error
	MkdirAll(dir string, perm os.FileMode) error
	// ReadDir returns the names of dir's entries, sorted.
	ReadDir(dir string) ([]string, error)
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the creations, renames and removals in dir durable.
	SyncDir(dir string) error
}

// ErrClosed is returned by operations on a closed file.
var ErrClosed = errors.New("vfs: file already closed")

// OS returns the real filesystem.
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // already an *os.PathError naming the file
	}
	return osFile{f}, nil
}

// osFile is an *os.File whose Sync is fdatasync(2) where the OS has it:
// it makes the data and the file's size durable — all a log needs to read
// its records back — without also flushing timestamps, as Redis's
// appendfsync does.
type osFile struct{ *os.File }

func (f osFile) Sync() error {
	if err := datasync(f.File); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}

func (fs osFS) Create(name string) (File, error) {
	return fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (fs osFS) Open(name string) (File, error) { return fs.OpenFile(name, os.O_RDONLY, 0) }

func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) Rename(oldname, newname string) error        { return os.Rename(oldname, newname) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) Stat(name string) (os.FileInfo, error)       { return os.Stat(name) }

func (osFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return &os.PathError{Op: "syncdir", Path: dir, Err: serr}
	}
	return cerr
}
