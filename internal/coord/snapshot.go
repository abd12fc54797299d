package coord

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"
)

const (
	snapMagic = "TRIADCRD"
	// snapVersion 2 added the members section; version 1 is still read.
	snapVersion = 2
	// Bounds that keep a corrupt snapshot from asking for absurd memory.
	maxSnapKey   = 1 << 20
	maxSnapValue = 1 << 30
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// WriteSnapshot writes the whole state — every record kept since the last
// compaction, the current and compact revisions, the applied index and the
// leases with their deadlines — in the format doc.go describes. Watchers
// are not part of it. The output is a pure function of the applied entries.
func (s *Store) WriteSnapshot(w io.Writer) error { return s.Freeze().Write(w) }

// Frozen is the store's state at one applied index, cheap to take and
// written out later while the store goes on applying: records are
// immutable and compaction builds a new revision log rather than editing
// the old one, so the frozen log is the live one's prefix as it was.
type Frozen struct {
	applied                   uint64
	lastTime, rev, compactRev int64
	log                       []*rec
	leases                    []lease // ID order, without keys
	members                   []*pb.Member
}

// Freeze captures the state under the read lock: a slice header, the
// leases and the members (both small), no record copies.
func (s *Store) Freeze() *Frozen {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := &Frozen{applied: s.applied, lastTime: s.lastTime, rev: s.rev, compactRev: s.compactRev, log: s.log[:len(s.log):len(s.log)]}
	for _, id := range s.leaseIDsLocked() {
		l := s.leases[id]
		f.leases = append(f.leases, lease{id: l.id, ttl: l.ttl, deadline: l.deadline})
	}
	for _, id := range slices.Sorted(maps.Keys(s.members)) {
		f.members = append(f.members, proto.Clone(s.members[id]).(*pb.Member))
	}
	return f
}

// Write writes the frozen state in the snapshot format.
func (f *Frozen) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	sw := &snapWriter{w: bw, crc: crc32.New(crcTable)}
	sw.raw([]byte(snapMagic))
	sw.uvarint(snapVersion)
	sw.uvarint(f.applied)
	sw.varint(f.lastTime)
	sw.varint(f.rev)
	sw.varint(f.compactRev)
	sw.uvarint(uint64(len(f.log)))
	for _, r := range f.log {
		sw.bytes([]byte(r.key))
		sw.varint(r.main)
		sw.varint(r.sub)
		if r.tomb {
			sw.uvarint(1)
			continue
		}
		sw.uvarint(0)
		sw.varint(r.create)
		sw.varint(r.version)
		sw.varint(r.lease)
		sw.bytes(r.value)
	}
	sw.uvarint(uint64(len(f.leases)))
	for _, l := range f.leases {
		sw.varint(l.id)
		sw.varint(l.ttl)
		sw.varint(l.deadline)
	}
	sw.uvarint(uint64(len(f.members)))
	for _, m := range f.members {
		sw.uvarint(m.ID)
		sw.bytes([]byte(m.Name))
		sw.strings(m.PeerURLs)
		sw.strings(m.ClientURLs)
	}
	if sw.err != nil {
		return fmt.Errorf("coord: write snapshot: %w", sw.err)
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], sw.crc.Sum32())
	if _, err := bw.Write(sum[:]); err != nil {
		return fmt.Errorf("coord: write snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("coord: write snapshot: %w", err)
	}
	return nil
}

type snapWriter struct {
	w   io.Writer
	crc hash.Hash32
	buf [binary.MaxVarintLen64]byte
	err error
}

func (sw *snapWriter) raw(b []byte) {
	if sw.err != nil {
		return
	}
	sw.crc.Write(b)
	_, sw.err = sw.w.Write(b)
}

func (sw *snapWriter) uvarint(v uint64) { sw.raw(binary.AppendUvarint(sw.buf[:0], v)) }
func (sw *snapWriter) varint(v int64)   { sw.raw(binary.AppendVarint(sw.buf[:0], v)) }
func (sw *snapWriter) bytes(b []byte)   { sw.uvarint(uint64(len(b))); sw.raw(b) }

func (sw *snapWriter) strings(ss []string) {
	sw.uvarint(uint64(len(ss)))
	for _, x := range ss {
		sw.bytes([]byte(x))
	}
}

// Restore replaces the whole state with a snapshot written by
// WriteSnapshot. On error the store is unchanged. Watchers survive: they
// catch up from the restored history, or learn it was compacted.
func (s *Store) Restore(r io.Reader) error {
	st, err := readSnapshot(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied, s.lastTime, s.rev, s.compactRev = st.applied, st.lastTime, st.rev, st.compactRev
	s.keys, s.index, s.log, s.leases, s.members = st.keys, st.index, st.log, st.leases, st.members
	s.hub.unsyncAll(s)
	return nil
}

type snapReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	err error
}

func (sr *snapReader) fail(format string, a ...any) {
	if sr.err == nil {
		sr.err = fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, a...)...)
	}
}

func (sr *snapReader) ReadByte() (byte, error) {
	b, err := sr.r.ReadByte()
	if err == nil {
		sr.crc.Write([]byte{b})
	}
	return b, err
}

func (sr *snapReader) uvarint() uint64 {
	if sr.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(sr)
	if err != nil {
		sr.fail("%v", err)
	}
	return v
}

func (sr *snapReader) varint() int64 {
	if sr.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(sr)
	if err != nil {
		sr.fail("%v", err)
	}
	return v
}

func (sr *snapReader) raw(n int) []byte {
	if sr.err != nil {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(sr.r, b); err != nil {
		sr.fail("%v", err)
		return nil
	}
	sr.crc.Write(b)
	return b
}

func (sr *snapReader) bytes(limit uint64) []byte {
	n := sr.uvarint()
	if n > limit {
		sr.fail("length %d over %d", n, limit)
		return nil
	}
	return sr.raw(int(n))
}

// strings reads a list of at most 64 short strings (a member's URLs).
func (sr *snapReader) strings() []string {
	n := sr.uvarint()
	if n > 64 {
		sr.fail("%d strings", n)
		return nil
	}
	var ss []string
	for i := uint64(0); i < n && sr.err == nil; i++ {
		ss = append(ss, string(sr.bytes(maxSnapKey)))
	}
	return ss
}

func readSnapshot(r io.Reader) (*Store, error) {
	sr := &snapReader{r: bufio.NewReader(r), crc: crc32.New(crcTable)}
	if string(sr.raw(len(snapMagic))) != snapMagic {
		sr.fail("bad magic")
	}
	version := sr.uvarint()
	if sr.err == nil && (version < 1 || version > snapVersion) {
		sr.fail("version %d", version)
	}
	st := &Store{}
	st.resetLocked()
	var sorted []*keyHist
	st.applied = sr.uvarint()
	st.lastTime = sr.varint()
	st.rev = sr.varint()
	st.compactRev = sr.varint()
	if sr.err == nil && (st.rev < 1 || st.compactRev < 0 || st.compactRev > st.rev) {
		sr.fail("revisions %d/%d", st.rev, st.compactRev)
	}
	n := sr.uvarint()
	var prev *rec
	for i := uint64(0); i < n && sr.err == nil; i++ {
		r := &rec{key: string(sr.bytes(maxSnapKey)), main: sr.varint(), sub: sr.varint()}
		switch sr.uvarint() {
		case 1:
			r.tomb = true
		case 0:
			r.create, r.version, r.lease = sr.varint(), sr.varint(), sr.varint()
			r.value = sr.bytes(maxSnapValue)
		default:
			sr.fail("record flags")
		}
		if sr.err != nil {
			break
		}
		if r.key == "" || r.main > st.rev || r.sub < 0 || (prev != nil && !prev.less(r)) {
			sr.fail("record %d out of order", i)
			break
		}
		h := st.keys[r.key]
		if h == nil {
			h = &keyHist{key: r.key}
			st.keys[r.key] = h
			sorted = append(sorted, h)
		}
		h.recs = append(h.recs, r)
		st.log = append(st.log, r)
		prev = r
	}
	nl := sr.uvarint()
	for i := uint64(0); i < nl && sr.err == nil; i++ {
		l := &lease{id: sr.varint(), ttl: sr.varint(), deadline: sr.varint(), keys: map[string]struct{}{}}
		if sr.err == nil && (l.id == 0 || st.leases[l.id] != nil) {
			sr.fail("lease %d", l.id)
		}
		st.leases[l.id] = l
	}
	if version >= 2 {
		nm := sr.uvarint()
		for i := uint64(0); i < nm && sr.err == nil; i++ {
			m := &pb.Member{ID: sr.uvarint(), Name: string(sr.bytes(maxSnapKey))}
			m.PeerURLs = sr.strings()
			m.ClientURLs = sr.strings()
			if sr.err == nil && (m.ID == 0 || st.members[m.ID] != nil) {
				sr.fail("member %x", m.ID)
			}
			st.members[m.ID] = m
		}
	}
	if sr.err != nil {
		return nil, sr.err
	}
	want := sr.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(sr.r, sum[:]); err != nil {
		return nil, fmt.Errorf("%w: checksum: %w", ErrBadSnapshot, err)
	}
	if binary.BigEndian.Uint32(sum[:]) != want {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadSnapshot)
	}
	slices.SortFunc(sorted, func(a, b *keyHist) int { return strings.Compare(a.key, b.key) })
	st.index.build(sorted)
	// Lease attachments are the live keys that name a lease.
	for _, h := range sorted {
		k, r := h.key, h.last()
		if r.tomb || r.lease == 0 {
			continue
		}
		l := st.leases[r.lease]
		if l == nil {
			return nil, fmt.Errorf("%w: key %q names missing lease %d", ErrBadSnapshot, k, r.lease)
		}
		l.keys[k] = struct{}{}
	}
	return st, nil
}
