package storage

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"

	"triad/internal/storage/vfs"
)

// region is a run of bytes in one of the log's files.
type region struct {
	f      vfs.File
	off, n int64
}

// Regions is the data of some entries as regions of the segment files,
// for readers that pass the bytes on without looking at them (a queue
// partition's fetch): WriteTo sends them to a socket with sendfile(2).
// The files stay open until Release, even if the log drops, rewrites or
// closes their segments meanwhile (the open handle keeps the old file's
// bytes readable), so a Regions always reads what the log held when it
// was made. Unlike Entries, nothing is checksummed on the way out: the
// bytes were checked when the log was opened or written, and the reader's
// own format carries its own checksums (Kafka's batch CRC).
type Regions struct {
	l     *Log
	parts []region
	files []vfs.File // pinned, each once
	n     int64
}

// sendFileMin is the smallest region WriteTo hands to sendfile: below it,
// one pread of several neighbouring regions and a copy cost fewer system
// calls than one sendfile per region.
const sendFileMin = 16 << 10

// spanMax bounds one pread of neighbouring small regions.
const spanMax = 256 << 10

var spanPool = sync.Pool{New: func() any { b := make([]byte, spanMax); return &b }}

// DataRegions returns the data of the entries idx (ascending), each minus
// its first skip bytes. Entries still buffered are flushed first; if some
// were appended after that flush, the regions stop before them. Entries
// below FirstIndex answer ErrCompacted, above LastIndex ErrUnavailable.
func (l *Log) DataRegions(idx []uint64, skip int64) (*Regions, error) {
	if len(idx) == 0 {
		return &Regions{l: l}, nil
	}
	if idx[len(idx)-1] > l.flushedIdx.Load() {
		if err := l.Flush(); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.boundsLocked(idx[0]); err != nil {
		return nil, err
	}
	if err := l.boundsLocked(idx[len(idx)-1]); err != nil {
		return nil, err
	}
	flushed := l.flushedIdx.Load()
	if idx[0] > flushed {
		return nil, fmt.Errorf("%w: %d is not flushed yet", ErrUnavailable, idx[0])
	}
	r := &Regions{l: l, parts: make([]region, 0, len(idx))}
	k := sort.Search(len(l.segs), func(k int) bool { return l.segs[k].last >= idx[0] })
	for n, i := range idx {
		if i > flushed {
			break
		}
		if n > 0 && i <= idx[n-1] {
			r.releaseLocked()
			return nil, fmt.Errorf("%w: region indexes not ascending (%d after %d)", ErrOutOfOrder, i, idx[n-1])
		}
		for k < len(l.segs) && l.segs[k].last < i {
			k++
		}
		s := l.segs[k]
		if s.f == nil {
			f, err := l.fs.OpenFile(s.path, os.O_RDONLY, 0)
			if err != nil {
				r.releaseLocked()
				return nil, fmt.Errorf("storage: read log: %w", err)
			}
			s.f = f
		}
		start := s.offsets.at(int(i-s.first)) + recordHeader + recordFixed + skip
		end := s.recordEnd(i)
		if end < start {
			r.releaseLocked()
			return nil, &CorruptionError{File: s.path, Offset: s.offsets.at(int(i - s.first)),
				Reason: fmt.Sprintf("entry %d holds %d bytes of data, fewer than %d", i, end-start+skip, skip)}
		}
		if len(r.files) == 0 || r.files[len(r.files)-1] != s.f {
			r.files = append(r.files, s.f)
			l.pinLocked(s.f)
		}
		r.parts = append(r.parts, region{f: s.f, off: start, n: end - start})
		r.n += end - start
	}
	return r, nil
}

// Len is the number of bytes in the regions.
func (r *Regions) Len() int { return int(r.n) }

// Bytes reads the regions into one slice.
func (r *Regions) Bytes() ([]byte, error) {
	out := make([]byte, r.n)
	p := 0
	for _, g := range r.parts {
		if n, err := g.f.ReadAt(out[p:p+int(g.n)], g.off); n < int(g.n) {
			return nil, fmt.Errorf("storage: read region at %d: %w", g.off, err)
		}
		p += int(g.n)
	}
	return out, nil
}

// WriteTo writes the regions' bytes, in order, to bw, or — for regions of
// at least 16 KiB, when sock is a socket and the files are OS files —
// straight to sock with sendfile(2), after flushing bw so the stream stays
// in order. Smaller regions are read with one pread per run of neighbours
// (up to 256 KiB) and copied into bw. sock may be nil (always copy).
func (r *Regions) WriteTo(bw *bufio.Writer, sock syscall.Conn) error {
	for i := 0; i < len(r.parts); {
		g := r.parts[i]
		if sock != nil && g.n >= sendFileMin {
			if err := bw.Flush(); err != nil {
				return err
			}
			_, ok, err := vfs.SendFile(sock, g.f, g.off, g.n)
			if ok {
				if err != nil {
					return fmt.Errorf("storage: send region: %w", err)
				}
				i++
				continue
			}
			sock = nil // not a socket or not OS files: copy from now on
		}
		j, err := r.copySpan(bw, i, sock != nil)
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// copySpan copies parts[i] and the small neighbours that follow it in the
// same file with one pread, returning the index after the last copied.
// With smallOnly, it stops before a region WriteTo would send.
func (r *Regions) copySpan(bw *bufio.Writer, i int, smallOnly bool) (int, error) {
	bp := spanPool.Get().(*[]byte)
	defer spanPool.Put(bp)
	buf := *bp
	g := r.parts[i]
	if g.n > int64(len(buf)) { // a large region without sendfile: in chunks
		for off := int64(0); off < g.n; {
			n := min(g.n-off, int64(len(buf)))
			if m, err := g.f.ReadAt(buf[:n], g.off+off); int64(m) < n {
				return 0, fmt.Errorf("storage: read region at %d: %w", g.off+off, err)
			}
			if _, err := bw.Write(buf[:n]); err != nil {
				return 0, err
			}
			off += n
		}
		return i + 1, nil
	}
	j := i + 1
	for j < len(r.parts) {
		h := r.parts[j]
		if h.f != g.f || h.off < g.off || h.off+h.n-g.off > int64(len(buf)) || (smallOnly && h.n >= sendFileMin) {
			break
		}
		j++
	}
	last := r.parts[j-1]
	span := buf[:last.off+last.n-g.off]
	if n, err := g.f.ReadAt(span, g.off); n < len(span) {
		return 0, fmt.Errorf("storage: read region at %d: %w", g.off, err)
	}
	for _, h := range r.parts[i:j] {
		if _, err := bw.Write(span[h.off-g.off : h.off-g.off+h.n]); err != nil {
			return 0, err
		}
	}
	return j, nil
}

// Release unpins the files; the Regions must not be used after. It may be
// called more than once.
func (r *Regions) Release() {
	if r == nil || r.l == nil {
		return
	}
	r.l.mu.Lock()
	r.releaseLocked()
	r.l.mu.Unlock()
	r.l = nil
}

func (r *Regions) releaseLocked() {
	for _, f := range r.files {
		r.l.unpinLocked(f)
	}
	r.files, r.parts, r.n = nil, nil, 0
}

func (l *Log) pinLocked(f vfs.File) {
	if l.pins == nil {
		l.pins = map[vfs.File]int{}
	}
	l.pins[f]++
}

func (l *Log) unpinLocked(f vfs.File) {
	l.pins[f]--
	if l.pins[f] > 0 {
		return
	}
	delete(l.pins, f)
	if l.unpinClose[f] {
		delete(l.unpinClose, f)
		f.Close()
	}
}

// closeSegLocked closes s's file, or, while a Regions pins it, leaves
// that to the last Release.
func (l *Log) closeSegLocked(s *segment) error {
	f := s.f
	s.f = nil
	if f == nil {
		return nil
	}
	if l.pins[f] > 0 {
		if l.unpinClose == nil {
			l.unpinClose = map[vfs.File]bool{}
		}
		l.unpinClose[f] = true
		return nil
	}
	return f.Close()
}
