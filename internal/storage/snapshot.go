package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"triad/internal/storage/vfs"
)

const (
	snapPrefix  = "snap-"
	snapSuffix  = ".snap"
	tmpSuffix   = ".tmp"
	snapMagic   = "TRIADSN1"
	snapFooter  = 4 + len(snapMagic) // crc32c u32 | magic
	snapsToKeep = 2
)

func snapshotName(index uint64) string {
	return fmt.Sprintf("%s%020d%s", snapPrefix, index, snapSuffix)
}

func parseSnapshotName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, snapPrefix)
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, snapSuffix); !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// WriteSnapshotFile writes a snapshot taken at index: write fills a temp
// file, which gets a checksum footer, is fsynced, renamed to a name carrying
// the index and made durable with SyncDir; then all but the newest two
// snapshots, and stray temp files of older ones, are removed. A snapshot
// is either entirely present under its final name or absent.
//
// If only the clean-up fails, the new snapshot is durable: path is returned
// along with the error.
func WriteSnapshotFile(fsys vfs.FS, dir string, index uint64, write func(io.Writer) error) (path string, err error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("storage: write snapshot: %w", err)
	}
	final := filepath.Join(dir, snapshotName(index))
	tmp := final + tmpSuffix
	f, err := fsys.Create(tmp)
	if err != nil {
		return "", fmt.Errorf("storage: write snapshot: %w", err)
	}
	fail := func(err error) (string, error) {
		f.Close()
		fsys.Remove(tmp)
		return "", fmt.Errorf("storage: write snapshot %d: %w", index, err)
	}
	// Sync as the file grows, not only at the end: one fsync of a large
	// snapshot would hold the disk for long enough to stall the logs'
	// fsyncs (and every write waiting on them) behind it.
	bw := bufio.NewWriterSize(&syncEvery{f: f, every: snapshotSyncBytes}, 256<<10)
	h := crc32.New(castagnoli)
	if err := write(io.MultiWriter(bw, h)); err != nil {
		return fail(err)
	}
	footer := binary.LittleEndian.AppendUint32(nil, h.Sum32())
	footer = append(footer, snapMagic...)
	if _, err := bw.Write(footer); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		fsys.Remove(tmp)
		return "", fmt.Errorf("storage: write snapshot %d: %w", index, err)
	}
	if err := fsys.Rename(tmp, final); err != nil {
		fsys.Remove(tmp)
		return "", fmt.Errorf("storage: write snapshot %d: %w", index, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return "", fmt.Errorf("storage: write snapshot %d: %w", index, err)
	}
	if err := removeOldSnapshots(fsys, dir, index); err != nil {
		return final, fmt.Errorf("storage: snapshot %d written; removing old ones: %w", index, err)
	}
	return final, nil
}

// snapshotSyncBytes is how much of a snapshot file is written between two
// intermediate syncs.
const snapshotSyncBytes = 4 << 20

// syncEvery writes to f and fsyncs it after every `every` bytes.
type syncEvery struct {
	f       vfs.File
	every   int
	pending int
}

func (s *syncEvery) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.pending += n
	if err == nil && s.pending >= s.every {
		s.pending = 0
		err = s.f.Sync()
	}
	return n, err
}

func removeOldSnapshots(fsys vfs.FS, dir string, newest uint64) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	var older []string // ascending, as names are zero-padded
	var errs []error
	for _, n := range names {
		if base, ok := strings.CutSuffix(n, tmpSuffix); ok {
			if idx, ok := parseSnapshotName(base); ok && idx < newest {
				errs = append(errs, fsys.Remove(filepath.Join(dir, n)))
			}
			continue
		}
		if idx, ok := parseSnapshotName(n); ok && idx < newest {
			older = append(older, n)
		}
	}
	for len(older) > snapsToKeep-1 {
		errs = append(errs, fsys.Remove(filepath.Join(dir, older[0])))
		older = older[1:]
	}
	errs = append(errs, fsys.SyncDir(dir))
	return errors.Join(errs...)
}

// LatestSnapshot finds the newest snapshot in dir, ignoring temp files. open
// reads its contents (without the footer); the reader fails with a
// *CorruptionError at EOF if the checksum does not match, so a consumer
// must read to the end before trusting what it read. ok is false when there
// is none (or dir does not exist).
func LatestSnapshot(fsys vfs.FS, dir string) (index uint64, open func() (io.ReadCloser, error), ok bool, err error) {
	names, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("storage: find snapshot: %w", err)
	}
	for _, n := range names {
		if idx, isSnap := parseSnapshotName(n); isSnap && (!ok || idx > index) {
			index, ok = idx, true
		}
	}
	if !ok {
		return 0, nil, false, nil
	}
	path := filepath.Join(dir, snapshotName(index))
	return index, func() (io.ReadCloser, error) { return openSnapshot(fsys, path) }, true, nil
}

func openSnapshot(fsys vfs.FS, path string) (io.ReadCloser, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("storage: open snapshot: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: open snapshot: %w", err)
	}
	size := st.Size() - int64(snapFooter)
	if size < 0 {
		f.Close()
		return nil, &CorruptionError{File: path, Reason: "snapshot shorter than its footer"}
	}
	return &snapReader{f: f, path: path, size: size,
		r: bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 256<<10), h: crc32.New(castagnoli)}, nil
}

// snapReader streams a snapshot's contents and checks the footer at EOF.
type snapReader struct {
	f    vfs.File
	path string
	size int64
	r    io.Reader
	h    hash.Hash32
}

func (s *snapReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	if err != io.EOF {
		return n, err
	}
	footer := make([]byte, snapFooter)
	if _, ferr := s.f.ReadAt(footer, s.size); ferr != nil {
		return n, fmt.Errorf("storage: read snapshot footer: %w", ferr)
	}
	if string(footer[4:]) != snapMagic {
		return n, &CorruptionError{File: s.path, Offset: s.size, Reason: "bad snapshot footer"}
	}
	if binary.LittleEndian.Uint32(footer) != s.h.Sum32() {
		return n, &CorruptionError{File: s.path, Offset: s.size, Reason: "snapshot checksum mismatch"}
	}
	return n, io.EOF
}

func (s *snapReader) Close() error { return s.f.Close() }
