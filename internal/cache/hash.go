package cache

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
)

// Hash is the value of a hash key. Like Redis it has two encodings: small
// hashes keep their fields in a slice in insertion order (Redis's listpack,
// which HGETALL and HSCAN then answer in that order, as clients used to
// Redis expect), larger ones a Dict. A hash converts to the table once it
// holds more than hashMaxListpackEntries fields or any field or value longer
// than hashMaxListpackValue bytes, and never converts back — as in Redis,
// where OBJECT ENCODING stays "hashtable" after the hash shrinks.
//
// Random choices (HRANDFIELD) depend only on the elements and their order,
// never on history: the slice order is kept by snapshots, and the Dict's
// order is a function of its contents.
type Hash struct {
	small []hashPair
	big   *Dict[[]byte] // non-nil: hashtable encoding
	bytes int64         // Σ len(field)+cap(value), for the O(1) MemSize
	keys  int64         // Σ len(field), to size HRANDFIELD's replies
}

type hashPair struct {
	field string
	value []byte
}

// Redis 7.0 defaults: hash-max-listpack-entries, hash-max-listpack-value.
// (512 entries is 7.0.15's built-in default and what its redis.conf ships;
// 128 is zset-max-listpack-entries.)
const (
	hashMaxListpackEntries = 512
	hashMaxListpackValue   = 64
)

// Memory estimates: the value itself, and a hashPair in the slice (the
// Dict reports its own overhead).
const (
	hashBaseSize     = 48
	hashSmallPerElem = 40
)

func newHash() *Hash { return &Hash{} }

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.big != nil {
		return h.big.Len()
	}
	return len(h.small)
}

// MemSize estimates the bytes the hash holds.
func (h *Hash) MemSize() int64 {
	if h.big != nil {
		return hashBaseSize + h.bytes + h.big.MemSize()
	}
	return hashBaseSize + h.bytes + hashSmallPerElem*int64(len(h.small))
}

// Encoding is what OBJECT ENCODING answers.
func (h *Hash) Encoding() string {
	if h.big != nil {
		return "hashtable"
	}
	return "listpack"
}

func (h *Hash) smallIndex(field string) int {
	for i := range h.small {
		if h.small[i].field == field {
			return i
		}
	}
	return -1
}

// Get returns the value of field. The slice is the hash's own: callers must
// not keep it across a write.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.big != nil {
		return h.big.Get(string(field))
	}
	if i := h.smallIndex(string(field)); i >= 0 {
		return h.small[i].value, true
	}
	return nil, false
}

// Has reports whether field exists.
func (h *Hash) Has(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Set stores value (which the hash takes ownership of) under field and
// reports whether the field is new.
func (h *Hash) Set(field string, value []byte) bool {
	if h.big == nil && (len(field) > hashMaxListpackValue || len(value) > hashMaxListpackValue) {
		h.convert()
	}
	if h.big != nil {
		old, had := h.big.Get(field)
		if had {
			h.bytes -= int64(cap(old))
		} else {
			h.bytes += int64(len(field))
			h.keys += int64(len(field))
		}
		h.bytes += int64(cap(value))
		h.big.Set(field, value)
		return !had
	}
	if i := h.smallIndex(field); i >= 0 {
		h.bytes += int64(cap(value)) - int64(cap(h.small[i].value))
		h.small[i].value = value
		return false
	}
	h.small = append(h.small, hashPair{field, value})
	h.bytes += int64(len(field) + cap(value))
	h.keys += int64(len(field))
	if len(h.small) > hashMaxListpackEntries {
		h.convert()
	}
	return true
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	if h.big != nil {
		v, ok := h.big.Delete(string(field))
		if ok {
			h.bytes -= int64(len(field) + cap(v))
			h.keys -= int64(len(field))
		}
		return ok
	}
	i := h.smallIndex(string(field))
	if i < 0 {
		return false
	}
	h.bytes -= int64(len(h.small[i].field) + cap(h.small[i].value))
	h.keys -= int64(len(h.small[i].field))
	// Keep insertion order, as deleting from a listpack does.
	h.small = append(h.small[:i], h.small[i+1:]...)
	return true
}

// convert moves a small hash to the hashtable encoding.
func (h *Hash) convert() {
	d := NewDict[[]byte](len(h.small) + 1)
	for _, p := range h.small {
		d.Set(p.field, p.value)
	}
	h.big, h.small = d, nil
}

// Each calls fn for every field until fn returns false. The hash must not
// change during the walk.
func (h *Hash) Each(fn func(field string, value []byte) bool) {
	if h.big != nil {
		for f, v := range h.big.All() {
			if !fn(f, v) {
				return
			}
		}
		return
	}
	for _, p := range h.small {
		if !fn(p.field, p.value) {
			return
		}
	}
}

// Random returns a random field and its value; the hash must not be empty.
func (h *Hash) Random(r *rand.Rand) (string, []byte) {
	if h.big != nil {
		f, v, _ := h.big.Random(r)
		return f, v
	}
	p := h.small[r.IntN(len(h.small))]
	return p.field, p.value
}

// Clone returns a deep copy with the same encoding.
func (h *Hash) Clone() Aggregate {
	c := &Hash{keys: h.keys}
	if h.big != nil {
		c.big = NewDict[[]byte](h.big.Len())
		for f, v := range h.big.All() {
			v = append([]byte(nil), v...)
			c.big.Set(f, v)
			c.bytes += int64(len(f) + cap(v))
		}
		return c
	}
	c.small = make([]hashPair, len(h.small))
	for i, p := range h.small {
		c.small[i] = hashPair{p.field, append([]byte(nil), p.value...)}
		c.bytes += int64(len(p.field) + cap(c.small[i].value))
	}
	return c
}

// Serialized form: encoding u8 (0 listpack, 1 hashtable) | count | per
// field: field, value (length-prefixed). The encoding is kept so that OBJECT
// ENCODING answers the same after a restart.
const (
	hashEncListpack  = 0
	hashEncHashtable = 1
)

// AppendBinary appends the serialized hash.
func (h *Hash) AppendBinary(b []byte) []byte {
	enc := byte(hashEncListpack)
	if h.big != nil {
		enc = hashEncHashtable
	}
	b = append(b, enc)
	b = binary.AppendUvarint(b, uint64(h.Len()))
	h.Each(func(f string, v []byte) bool {
		b = AppendString(b, f)
		b = AppendBytes(b, v)
		return true
	})
	return b
}

var errDupElement = errors.New("duplicate element")

func decodeHash(b []byte) (Aggregate, error) {
	if len(b) == 0 {
		return nil, errBadValue
	}
	enc := b[0]
	if enc != hashEncListpack && enc != hashEncHashtable {
		return nil, errBadValue
	}
	d := &Decoder{B: b[1:]}
	n := d.Count(2) // each field takes at least two length bytes
	h := newHash()
	if enc == hashEncHashtable {
		h.big = NewDict[[]byte](n)
	}
	for i := 0; i < n && d.Err == nil; i++ {
		f, v := d.String(), d.Bytes()
		if d.Err != nil {
			break
		}
		if !h.Set(f, v) {
			return nil, errDupElement
		}
	}
	if d.Err != nil {
		return nil, d.Err
	}
	if len(d.B) != 0 {
		return nil, errBadValue
	}
	return h, nil
}

func init() { decoders[KindHash] = decodeHash }

// sample returns n distinct random fields (n ≤ Len). The whole hash comes
// back in its own order; a large share is drawn by shuffling a copy; a small
// share of a big hash by repeated random picks, as Redis does.
func (h *Hash) sample(r *rand.Rand, n int) []hashPair {
	size := h.Len()
	if n >= size || n*3 > size || h.big == nil {
		all := make([]hashPair, 0, size)
		h.Each(func(f string, v []byte) bool { all = append(all, hashPair{f, v}); return true })
		if n >= size {
			return all
		}
		for i := 0; i < n; i++ { // partial Fisher–Yates
			j := i + r.IntN(size-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:n]
	}
	seen := make(map[string]struct{}, n)
	out := make([]hashPair, 0, n)
	for len(out) < n {
		f, v := h.Random(r)
		if _, dup := seen[f]; !dup {
			seen[f] = struct{}{}
			out = append(out, hashPair{f, v})
		}
	}
	return out
}
