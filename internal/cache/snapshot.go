package cache

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Snapshots without fork. A snapshot is the keyspace as of one applied log
// index, written while clients keep writing. When it starts (under the write
// lock) the engine records the index and a new generation number; then the
// snapshot walks every database in slices of a few hundred keys, releasing
// the lock between slices. Each entry records the generation that captured
// it. A write that is about to change or delete an entry not yet captured
// first serializes the entry's current (pre-write) value into the snapshot —
// the copy-on-write that fork gives Redis, at key granularity — and an entry
// created after the snapshot started is marked captured, so the walk skips
// it. Every key that existed at the snapshot index is written exactly once,
// with the value it had then.
//
// File layout (all written through one CRC32C):
//
//	magic "TRIADCS1" | index u64 | lastTS u64 | version counter u64
//	records: 1 u8 | db u8 | key (uvarint len, bytes) | exp varint | ver uvarint | value (uvarint len, bytes)
//	extra sections: 2 u8 | name (uvarint len, bytes) | data (uvarint len, bytes)
//	end: 0 u8 | CRC32C u32 LE of everything before it
const snapMagic = "TRIADCS1"

const (
	recEnd   = 0
	recKey   = 1
	recExtra = 2
	// sliceKeys is how many keys the walk captures per lock hold.
	sliceKeys = 256
)

// ErrSnapshotRunning is returned when a snapshot is requested while one runs.
var ErrSnapshotRunning = errors.New("cache: snapshot already in progress")

type snapState struct {
	gen uint32
	buf []byte
}

func (ks *Keyspace) captureForSnapshot(d *db, key string, e *entry) {
	s := ks.snap
	if s == nil || e.snap == s.gen {
		return
	}
	s.buf = appendRecord(s.buf, d.id, key, e)
	e.snap = s.gen
}

func (ks *Keyspace) markNew(e *entry) {
	if ks.snap != nil {
		e.snap = ks.snap.gen
	}
}

func appendRecord(b []byte, dbi int, key string, e *entry) []byte {
	b = append(b, recKey, byte(dbi))
	b = AppendString(b, key)
	b = binary.AppendVarint(b, e.exp)
	b = binary.AppendUvarint(b, e.ver)
	n := len(b)
	b = append(b, make([]byte, binary.MaxVarintLen64)...)
	b = appendValue(b[:n], e) // value first, then move it behind its length
	val := append([]byte(nil), b[n:]...)
	b = binary.AppendUvarint(b[:n], uint64(len(val)))
	return append(b, val...)
}

// SnapshotExtra is a named section saved with the keyspace (the function
// library). Producers are called under the lock at the snapshot's start.
type SnapshotExtra struct {
	Name string
	Save func() []byte
	Load func([]byte) error
}

// Snapshot is a snapshot in progress: its index is fixed when it begins,
// and WriteTo then writes the keyspace as of that index.
type Snapshot struct {
	e     *Engine
	st    *snapState
	Index uint64
}

// BeginSnapshot starts a snapshot at the current applied index. The caller
// must call WriteTo (which ends it) exactly once.
func (e *Engine) BeginSnapshot() (*Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ks.snap != nil {
		return nil, ErrSnapshotRunning
	}
	e.snapGen++
	st := &snapState{gen: e.snapGen}
	e.ks.snap = st
	hdr := []byte(snapMagic)
	hdr = binary.LittleEndian.AppendUint64(hdr, e.applied)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(e.lastTS))
	hdr = binary.LittleEndian.AppendUint64(hdr, e.ks.ver)
	for _, x := range e.extras {
		hdr = append(hdr, recExtra)
		hdr = AppendString(hdr, x.Name)
		hdr = AppendBytes(hdr, x.Save())
	}
	st.buf = append(st.buf, hdr...)
	return &Snapshot{e: e, st: st, Index: e.applied}, nil
}

// WriteTo writes the snapshot to w. Clients are held up only for one slice
// of keys at a time. The snapshot ends whether or not writing succeeds.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	e, st := s.e, s.st
	cw := &countWriter{w: w}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(cw, crc), 256<<10)
	var werr error
	e.mu.Lock()
	flush := func() { // called with mu held; writes outside it
		buf := st.buf
		st.buf = nil
		e.mu.Unlock()
		if werr == nil {
			_, werr = bw.Write(buf)
		}
		e.mu.Lock()
	}
	for _, d := range e.ks.dbs {
		// Scan's cursor survives changes between calls and may return an
		// element twice; the generation mark makes each key written once.
		for cursor := uint64(0); ; {
			cursor = d.keys.Scan(cursor, sliceKeys, func(k string, ent *entry) {
				if ent.snap != st.gen {
					st.buf = appendRecord(st.buf, d.id, k, ent)
					ent.snap = st.gen
				}
			})
			flush()
			if cursor == 0 {
				break
			}
		}
	}
	e.ks.snap = nil
	buf := st.buf
	e.mu.Unlock()
	if werr == nil {
		_, werr = bw.Write(append(buf, recEnd))
	}
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		var sum [4]byte
		binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
		_, werr = cw.Write(sum[:])
	}
	if werr != nil {
		return cw.n, fmt.Errorf("cache: write snapshot: %w", werr)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteSnapshot begins a snapshot and writes it to w, returning its index.
func (e *Engine) WriteSnapshot(w io.Writer) (uint64, error) {
	s, err := e.BeginSnapshot()
	if err != nil {
		return 0, err
	}
	_, err = s.WriteTo(w)
	return s.Index, err
}

// LoadSnapshot replaces the keyspace with the snapshot read from r and
// returns its index. It is used at start-up, before clients are served.
func (e *Engine) LoadSnapshot(r io.Reader) (uint64, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, fmt.Errorf("cache: read snapshot: %w", err)
	}
	if len(data) < len(snapMagic)+24+5 || string(data[:len(snapMagic)]) != snapMagic {
		return 0, fmt.Errorf("cache: snapshot: bad header")
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return 0, fmt.Errorf("cache: snapshot: checksum mismatch")
	}
	p := body[len(snapMagic):]
	index := binary.LittleEndian.Uint64(p)
	lastTS := int64(binary.LittleEndian.Uint64(p[8:]))
	ver := binary.LittleEndian.Uint64(p[16:])
	d := &Decoder{B: p[24:]}
	ks := newKeyspace()
	e.mu.Lock()
	defer e.mu.Unlock()
	for d.Err == nil {
		if len(d.B) == 0 {
			return 0, fmt.Errorf("cache: snapshot: truncated")
		}
		typ := d.B[0]
		d.B = d.B[1:]
		switch typ {
		case recEnd:
			e.ks = ks
			ks.ver = ver
			e.lastTS = max(e.lastTS, lastTS)
			e.applied = index
			return index, nil
		case recExtra:
			name, val := d.String(), d.Bytes()
			for _, x := range e.extras {
				if x.Name == name && d.Err == nil {
					if err := x.Load(val); err != nil {
						return 0, fmt.Errorf("cache: snapshot section %s: %w", name, err)
					}
				}
			}
		case recKey:
			if len(d.B) == 0 {
				return 0, fmt.Errorf("cache: snapshot: truncated record")
			}
			dbi := int(d.B[0])
			d.B = d.B[1:]
			key := d.String()
			exp, n := binary.Varint(d.B)
			if n <= 0 || dbi >= NumDBs {
				return 0, fmt.Errorf("cache: snapshot: bad record")
			}
			d.B = d.B[n:]
			v := d.Uvarint()
			val := d.Bytes()
			if d.Err != nil {
				break
			}
			ent, err := decodeValue(val)
			if err != nil {
				return 0, fmt.Errorf("cache: snapshot key %q: %w", key, err)
			}
			ent.exp, ent.ver = exp, v
			db := ks.dbs[dbi]
			db.keys.Set(key, ent)
			if exp != 0 {
				db.volatile.Set(key, ent)
			}
			ks.used += ent.memSize() + int64(len(key))
		default:
			return 0, fmt.Errorf("cache: snapshot: unknown record type %d", typ)
		}
	}
	return 0, fmt.Errorf("cache: snapshot: %w", d.Err)
}
