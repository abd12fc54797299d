package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrCrashed is returned by a File opened before MemFS.Crash: the process
// that held it is, in the model, dead.
var ErrCrashed = errors.New("vfs: file handle invalidated by simulated crash")

// MemFS is an in-memory FS that remembers what a power failure would keep.
// Every file has its current contents and its contents as of its last Sync;
// every directory has its current entries and its entries as of its last
// SyncDir. Crash throws the unsynced state away. It is safe for concurrent
// use; one mutex serialises every operation, so each is atomic.
type MemFS struct {
	mu   sync.Mutex
	dirs map[string]*memDir
	gen  uint64 // bumped by Crash; handles of older generations fail
}

type memDir struct {
	files  map[string]*memNode // what a reader sees now
	synced map[string]*memNode // what survives a crash
}

type memNode struct {
	data   []byte
	synced []byte // data as of the last Sync
	// shared is set while data and synced share a backing array; a write
	// that would change bytes synced can see must copy data first.
	shared bool
}

// NewMem returns an empty in-memory filesystem whose root "/" (and ".")
// exist.
func NewMem() *MemFS {
	m := &MemFS{dirs: map[string]*memDir{}}
	m.mkdirLocked("/")
	m.mkdirLocked(".")
	return m
}

// Crash simulates a power failure: every file reverts to its contents at its
// last Sync and every directory to its entries at its last SyncDir. Files
// opened before Crash return ErrCrashed from then on.
func (m *MemFS) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	for _, d := range m.dirs {
		d.files = cloneMap(d.synced)
		for _, n := range d.synced {
			n.data = n.synced
			n.shared = true
		}
	}
}

func cloneMap(in map[string]*memNode) map[string]*memNode {
	out := make(map[string]*memNode, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func split(name string) (dir, base string) {
	name = filepath.Clean(name)
	return filepath.Dir(name), filepath.Base(name)
}

func (m *MemFS) mkdirLocked(dir string) {
	dir = filepath.Clean(dir)
	if _, ok := m.dirs[dir]; ok {
		return
	}
	m.dirs[dir] = &memDir{files: map[string]*memNode{}, synced: map[string]*memNode{}}
	if parent := filepath.Dir(dir); parent != dir {
		m.mkdirLocked(parent)
	}
}

func (m *MemFS) lookupLocked(op, name string) (*memDir, string, error) {
	dir, base := split(name)
	d, ok := m.dirs[dir]
	if !ok {
		return nil, "", &os.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return d, base, nil
}

// MkdirAll creates dir and its parents; in this model directories are
// durable at once.
func (m *MemFS) MkdirAll(dir string, _ os.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, base, err := m.lookupLocked("mkdir", dir); err == nil {
		if _, ok := d.files[base]; ok {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
	}
	m.mkdirLocked(dir)
	return nil
}

// OpenFile opens name as os.OpenFile would.
func (m *MemFS) OpenFile(name string, flag int, _ os.FileMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookupLocked("open", name)
	if err != nil {
		return nil, err
	}
	if _, isDir := m.dirs[filepath.Clean(name)]; isDir {
		return nil, &os.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	n, ok := d.files[base]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &os.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &os.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		n = &memNode{}
		d.files[base] = n
	}
	f := &memFile{fs: m, node: n, name: name, gen: m.gen, flag: flag}
	if flag&os.O_TRUNC != 0 && f.writable() {
		n.truncate(0)
	}
	return f, nil
}

// Create creates or truncates name.
func (m *MemFS) Create(name string) (File, error) {
	return m.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// Open opens name read-only.
func (m *MemFS) Open(name string) (File, error) { return m.OpenFile(name, os.O_RDONLY, 0) }

// Remove removes a file or an empty directory.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.lookupLocked("remove", name)
	if err != nil {
		return err
	}
	if _, ok := d.files[base]; ok {
		delete(d.files, base)
		return nil
	}
	clean := filepath.Clean(name)
	if sub, ok := m.dirs[clean]; ok {
		if len(sub.files) > 0 || len(m.subdirsLocked(clean)) > 0 {
			return &os.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
		}
		delete(m.dirs, clean)
		return nil
	}
	return &os.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
}

// Rename moves a file, replacing newname if it exists.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, obase, err := m.lookupLocked("rename", oldname)
	if err != nil {
		return err
	}
	n, ok := od.files[obase]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	nd, nbase, err := m.lookupLocked("rename", newname)
	if err != nil {
		return err
	}
	delete(od.files, obase)
	nd.files[nbase] = n
	return nil
}

func (m *MemFS) subdirsLocked(dir string) []string {
	var out []string
	for p := range m.dirs {
		if p != dir && filepath.Dir(p) == dir {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// ReadDir lists dir's files and subdirectories, sorted.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dirs[filepath.Clean(dir)]
	if !ok {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	names := m.subdirsLocked(filepath.Clean(dir))
	for k := range d.files {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// Stat describes a file or directory.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[filepath.Clean(name)]; ok {
		return memInfo{name: filepath.Base(name), dir: true}, nil
	}
	d, base, err := m.lookupLocked("stat", name)
	if err != nil {
		return nil, err
	}
	n, ok := d.files[base]
	if !ok {
		return nil, &os.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return memInfo{name: base, size: int64(len(n.data))}, nil
}

// SyncDir makes dir's current entries the ones a crash keeps.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dirs[filepath.Clean(dir)]
	if !ok {
		return &os.PathError{Op: "syncdir", Path: dir, Err: fs.ErrNotExist}
	}
	d.synced = cloneMap(d.files)
	return nil
}

// String lists every file with its current and synced sizes, for test
// failure messages.
func (m *MemFS) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lines []string
	for p, d := range m.dirs {
		for name, n := range d.files {
			_, durable := d.synced[name]
			lines = append(lines, filepath.Join(p, name)+
				" size="+strconv.Itoa(len(n.data))+" synced="+strconv.Itoa(len(n.synced))+" entry-synced="+boolStr(durable))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func boolStr(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (n *memNode) unshare() {
	if n.shared {
		n.data = slices.Clone(n.data)
		n.shared = false
	}
}

func (n *memNode) truncate(size int64) {
	if size < int64(len(n.synced)) {
		n.unshare()
	}
	if size <= int64(len(n.data)) {
		n.data = n.data[:size]
		return
	}
	n.data = append(n.data, make([]byte, size-int64(len(n.data)))...)
}

func (n *memNode) writeAt(p []byte, off int64) {
	if off < int64(len(n.synced)) {
		n.unshare()
	}
	if end := off + int64(len(p)); end > int64(len(n.data)) {
		n.truncate(end)
	}
	copy(n.data[off:], p)
}

type memFile struct {
	fs     *MemFS
	node   *memNode
	name   string
	gen    uint64
	pos    int64
	flag   int
	closed bool
}

func (f *memFile) writable() bool { return f.flag&(os.O_WRONLY|os.O_RDWR) != 0 }
func (f *memFile) readable() bool { return f.flag&os.O_WRONLY == 0 }

// checkLocked reports why f cannot be used, if it cannot.
func (f *memFile) checkLocked(op string) error {
	switch {
	case f.closed:
		return &os.PathError{Op: op, Path: f.name, Err: ErrClosed}
	case f.gen != f.fs.gen:
		return &os.PathError{Op: op, Path: f.name, Err: ErrCrashed}
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	n, err := f.readAtLocked(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return f.readAtLocked(p, off)
}

func (f *memFile) readAtLocked(p []byte, off int64) (int, error) {
	if err := f.checkLocked("read"); err != nil {
		return 0, err
	}
	if !f.readable() {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: fs.ErrPermission}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("write"); err != nil {
		return 0, err
	}
	if !f.writable() {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	if f.flag&os.O_APPEND != 0 {
		f.pos = int64(len(f.node.data))
	}
	f.node.writeAt(p, f.pos)
	f.pos += int64(len(p))
	return len(p), nil
}

func (f *memFile) Seek(offset int64, whence int) (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("seek"); err != nil {
		return 0, err
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.pos + offset
	case io.SeekEnd:
		abs = int64(len(f.node.data)) + offset
	}
	if abs < 0 {
		return 0, &os.PathError{Op: "seek", Path: f.name, Err: fs.ErrInvalid}
	}
	f.pos = abs
	return abs, nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("sync"); err != nil {
		return err
	}
	f.node.synced = f.node.data
	f.node.shared = true
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("truncate"); err != nil {
		return err
	}
	if !f.writable() || size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	f.node.truncate(size)
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.checkLocked("stat"); err != nil {
		return nil, err
	}
	return memInfo{name: filepath.Base(f.name), size: int64(len(f.node.data))}, nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return &os.PathError{Op: "close", Path: f.name, Err: ErrClosed}
	}
	f.closed = true
	return nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
