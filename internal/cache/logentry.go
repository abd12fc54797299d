package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Log entries. Every change to the keyspace is one of these, appended to the
// journal before it is applied. Layout (integers are uvarints unless noted):
//
//	type u8 | ts (unix ms, varint) | seed u64 LE | db u8 | body
//
//	command: argc, then per argument: len, bytes
//	multi:   nwatch, per watch: db u8, key len, key, version, epoch;
//	         ncmds, per command: argc, arguments as above
//	expire:  key len, key    (delete the key if it is expired at ts)
//	evict:   key len, key    (delete the key: the leader chose it for eviction)
const (
	entCommand byte = 1
	entMulti   byte = 2
	entExpire  byte = 3
	entEvict   byte = 4
)

var errBadEntry = errors.New("cache: malformed log entry")

func appendHeader(b []byte, typ byte, ts int64, seed uint64, dbi int) []byte {
	b = append(b, typ)
	b = binary.AppendVarint(b, ts)
	b = binary.LittleEndian.AppendUint64(b, seed)
	return append(b, byte(dbi))
}

func appendArgs(b []byte, args [][]byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(args)))
	for _, a := range args {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

func encodeCommand(ts int64, seed uint64, dbi int, args [][]byte) []byte {
	n := 16
	for _, a := range args {
		n += len(a) + 5
	}
	return appendArgs(appendHeader(make([]byte, 0, n), entCommand, ts, seed, dbi), args)
}

// Watch is one WATCHed key: the version and database epoch seen by WATCH.
type Watch struct {
	DB      int
	Key     string
	Version uint64
	Epoch   uint64
}

func encodeMulti(ts int64, seed uint64, dbi int, watches []Watch, cmds [][][]byte) []byte {
	b := appendHeader(nil, entMulti, ts, seed, dbi)
	b = binary.AppendUvarint(b, uint64(len(watches)))
	for _, w := range watches {
		b = append(b, byte(w.DB))
		b = binary.AppendUvarint(b, uint64(len(w.Key)))
		b = append(b, w.Key...)
		b = binary.AppendUvarint(b, w.Version)
		b = binary.AppendUvarint(b, w.Epoch)
	}
	b = binary.AppendUvarint(b, uint64(len(cmds)))
	for _, c := range cmds {
		b = appendArgs(b, c)
	}
	return b
}

func encodeKeyOp(typ byte, ts int64, dbi int, key string) []byte {
	b := appendHeader(nil, typ, ts, 0, dbi)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

// entryReader decodes an entry, remembering the first error.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadEntry
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *entryReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errBadEntry
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *entryReader) byte1() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errBadEntry
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *entryReader) args() [][]byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadEntry
		return nil
	}
	args := make([][]byte, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		args = append(args, r.bytes())
	}
	return args
}

// applyEntryLocked decodes one journal entry and applies it, discarding the
// reply. It is used for replay; live writes apply the decoded form directly.
func (e *Engine) applyEntryLocked(data []byte) error {
	if len(data) < 1 {
		return errBadEntry
	}
	r := &entryReader{b: data[1:]}
	ts, n := binary.Varint(r.b)
	if n <= 0 || len(r.b) < n+9 {
		return errBadEntry
	}
	r.b = r.b[n:]
	seed := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	dbi := int(r.byte1())
	if r.err != nil || dbi >= NumDBs {
		return errBadEntry
	}
	e.lastTS = max(e.lastTS, ts)
	switch data[0] {
	case entCommand:
		args := r.args()
		if r.err != nil || len(args) == 0 {
			return errBadEntry
		}
		cmd := e.cmds.lookup(args[0])
		if cmd == nil {
			return fmt.Errorf("%w: unknown command %q", errBadEntry, args[0])
		}
		e.applyCommandLocked(ts, seed, dbi, cmd, args, discardReply{})
	case entMulti:
		nw := r.uvarint()
		watches := make([]Watch, 0, min(nw, 1024))
		for i := uint64(0); i < nw && r.err == nil; i++ {
			w := Watch{DB: int(r.byte1())}
			if w.DB >= NumDBs {
				return fmt.Errorf("%w: watch of database %d", errBadEntry, w.DB)
			}
			w.Key = string(r.bytes())
			w.Version = r.uvarint()
			w.Epoch = r.uvarint()
			watches = append(watches, w)
		}
		nc := r.uvarint()
		cmds := make([][][]byte, 0, min(nc, 1024))
		for i := uint64(0); i < nc && r.err == nil; i++ {
			args := r.args()
			if r.err == nil && len(args) == 0 {
				return fmt.Errorf("%w: empty command in a transaction", errBadEntry)
			}
			cmds = append(cmds, args)
		}
		if r.err != nil {
			return r.err
		}
		e.applyMultiLocked(ts, seed, dbi, watches, cmds, discardReply{})
	case entExpire, entEvict:
		key := r.bytes()
		if r.err != nil {
			return r.err
		}
		e.applyKeyOpLocked(data[0], ts, dbi, string(key))
	default:
		return fmt.Errorf("%w: type %d", errBadEntry, data[0])
	}
	return nil
}

// applyKeyOpLocked applies an expire or evict entry.
func (e *Engine) applyKeyOpLocked(typ byte, ts int64, dbi int, key string) {
	c := &e.ctx
	*c = Ctx{e: e, ks: e.ks, db: e.ks.dbs[dbi], Now: ts, W: discardReply{}, applying: true, touched: c.touched[:0]}
	ent := c.db.peek(key)
	if ent == nil {
		return
	}
	switch typ {
	case entExpire:
		if ent.exp != 0 && ent.exp <= ts {
			c.deleteEntry(key, ent)
			e.stats.ExpiredKeys++
		}
	case entEvict:
		c.deleteEntry(key, ent)
		e.stats.EvictedKeys++
	}
	c.finish()
}
