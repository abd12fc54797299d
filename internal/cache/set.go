package cache

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Set is the value of a set key, in one of the two encodings Redis 7.0
// keeps: an intset (sorted int64s) while every member is an integer and
// there are at most setMaxIntsetEntries, else a Dict (OBJECT ENCODING
// "hashtable"). Redis 7.2 added a listpack encoding for small sets of
// strings; 7.0, which Triad follows, goes from intset straight to
// hashtable. Conversions only go up, except that SPOP may rebuild the set
// from its survivors (see cmdSPop), as 7.0 does.
//
// SPOP is a write replayed on every replica, so its random choices must
// depend only on the members, never on history: the intset is sorted, and
// the Dict's order is a function of its contents.
type Set struct {
	ints  []int64         // intset
	big   *Dict[struct{}] // hashtable
	enc   uint8
	bytes int64 // Σ len(member) in the hashtable encoding
}

// Encodings, also the first byte of the serialized form. setEncListpack is
// only read, from snapshots written before sets followed 7.0.
const (
	setEncIntset    = 0
	setEncListpack  = 1
	setEncHashtable = 2
)

// set-max-intset-entries (Redis 7.0's default).
const setMaxIntsetEntries = 512

// Memory estimates: the value itself, and an intset member (the Dict
// reports its own overhead).
const (
	setBaseSize      = 48
	setIntsetPerElem = 8
)

func newSet() *Set { return &Set{} }

// Len is the number of members.
func (s *Set) Len() int {
	if s.enc == setEncIntset {
		return len(s.ints)
	}
	return s.big.Len()
}

// MemSize estimates the bytes the set holds.
func (s *Set) MemSize() int64 {
	if s.enc == setEncIntset {
		return setBaseSize + setIntsetPerElem*int64(len(s.ints))
	}
	return setBaseSize + s.bytes + s.big.MemSize()
}

// Encoding is what OBJECT ENCODING answers.
func (s *Set) Encoding() string {
	if s.enc == setEncIntset {
		return "intset"
	}
	return "hashtable"
}

// memberBytes is Σ len(member): the size of the members as a reply holds them.
func (s *Set) memberBytes() int64 {
	if s.enc != setEncIntset {
		return s.bytes
	}
	var n int64
	var buf [20]byte
	for _, v := range s.ints {
		n += int64(len(strconv.AppendInt(buf[:0], v, 10)))
	}
	return n
}

// setInt reports whether m can live in an intset: Redis's string2ll form
// (decimal, no '+', no leading zeros, no "-0").
func setInt(m string) (int64, bool) {
	if len(m) == 0 || len(m) > 20 || (len(m) > 1 && (m[0] == '0' || (m[0] == '-' && m[1] == '0'))) || m[0] == '+' {
		return 0, false
	}
	v, err := strconv.ParseInt(m, 10, 64)
	return v, err == nil
}

// Has reports whether m is a member.
func (s *Set) Has(m string) bool {
	if s.enc == setEncIntset {
		v, ok := setInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, v)
		return found
	}
	_, ok := s.big.Get(m)
	return ok
}

// Add adds m and reports whether it is new.
func (s *Set) Add(m string) bool {
	if s.enc == setEncIntset {
		v, ok := setInt(m)
		if !ok {
			s.toHashtable()
			return s.Add(m)
		}
		i, found := slices.BinarySearch(s.ints, v)
		if found {
			return false
		}
		s.ints = slices.Insert(s.ints, i, v)
		if len(s.ints) > setMaxIntsetEntries {
			s.toHashtable()
		}
		return true
	}
	if !s.big.Set(m, struct{}{}) {
		return false
	}
	s.bytes += int64(len(m))
	return true
}

// Remove deletes m and reports whether it was a member.
func (s *Set) Remove(m string) bool {
	if s.enc == setEncIntset {
		v, ok := setInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, v)
		if found {
			s.ints = slices.Delete(s.ints, i, i+1)
		}
		return found
	}
	if _, ok := s.big.Delete(m); !ok {
		return false
	}
	s.bytes -= int64(len(m))
	return true
}

// toHashtable converts an intset to the hashtable encoding.
func (s *Set) toHashtable() {
	d := NewDict[struct{}](len(s.ints) + 1)
	var n int64
	for _, v := range s.ints {
		m := strconv.FormatInt(v, 10)
		d.Set(m, struct{}{})
		n += int64(len(m))
	}
	s.ints, s.big, s.bytes, s.enc = nil, d, n, setEncHashtable
}

// Each calls fn for every member until fn returns false: an intset in
// ascending order, as Redis answers it. The set must not change during the
// walk.
func (s *Set) Each(fn func(m string) bool) {
	if s.enc == setEncIntset {
		for _, v := range s.ints {
			if !fn(strconv.FormatInt(v, 10)) {
				return
			}
		}
		return
	}
	for m := range s.big.All() {
		if !fn(m) {
			return
		}
	}
}

// Random returns a random member; the set must not be empty.
func (s *Set) Random(r *rand.Rand) string {
	if s.enc == setEncIntset {
		return strconv.FormatInt(s.ints[r.IntN(len(s.ints))], 10)
	}
	m, _, _ := s.big.Random(r)
	return m
}

// sample returns n distinct random members (n ≤ Len): all of them in the
// set's own order when n covers the set (as Redis 7.0 answers SRANDMEMBER
// then), a partial shuffle of all members when n is a large share or the
// set is an intset, else repeated random picks, as Redis does.
func (s *Set) sample(r *rand.Rand, n int) []string {
	size := s.Len()
	if n >= size || n*3 > size || s.enc == setEncIntset {
		all := make([]string, 0, size)
		s.Each(func(m string) bool { all = append(all, m); return true })
		if n >= size {
			return all
		}
		for i := 0; i < n; i++ {
			j := i + r.IntN(size-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:n]
	}
	seen := make(map[string]struct{}, n)
	out := make([]string, 0, n)
	for len(out) < n {
		if m := s.Random(r); !hasKey(seen, m) {
			seen[m] = struct{}{}
			out = append(out, m)
		}
	}
	return out
}

func hasKey(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

// Clone returns a deep copy with the same encoding (members are immutable
// strings, so copying the containers is enough).
func (s *Set) Clone() Aggregate {
	c := &Set{enc: s.enc, bytes: s.bytes, ints: slices.Clone(s.ints)}
	if s.big != nil {
		c.big = s.big.Clone()
	}
	return c
}

// Serialized form: encoding u8 | count | members — intset members as
// varints in ascending order, hashtable members length-prefixed. The
// encoding is kept so that
// OBJECT ENCODING answers the same after a restart.
func (s *Set) AppendBinary(b []byte) []byte {
	b = append(b, s.enc)
	b = binary.AppendUvarint(b, uint64(s.Len()))
	if s.enc == setEncIntset {
		for _, v := range s.ints {
			b = binary.AppendVarint(b, v)
		}
		return b
	}
	s.Each(func(m string) bool { b = AppendString(b, m); return true })
	return b
}

func decodeSet(b []byte) (Aggregate, error) {
	if len(b) == 0 || b[0] > setEncHashtable {
		return nil, errBadValue
	}
	s := &Set{enc: b[0]}
	if s.enc == setEncListpack { // written before sets followed 7.0
		s.enc = setEncHashtable
	}
	d := &Decoder{B: b[1:]}
	n := d.Count(1)
	switch s.enc {
	case setEncIntset:
		if n > setMaxIntsetEntries {
			return nil, errBadValue
		}
		s.ints = make([]int64, 0, n)
		for i := 0; i < n; i++ {
			v, k := binary.Varint(d.B)
			if k <= 0 || (i > 0 && v <= s.ints[i-1]) {
				return nil, errBadValue
			}
			d.B = d.B[k:]
			s.ints = append(s.ints, v)
		}
	default:
		s.big = NewDict[struct{}](n)
		for i := 0; i < n && d.Err == nil; i++ {
			if m := d.String(); d.Err == nil && !s.Add(m) {
				return nil, errDupElement
			}
		}
	}
	if d.Err != nil {
		return nil, d.Err
	}
	if len(d.B) != 0 {
		return nil, errBadValue
	}
	return s, nil
}

func init() { decoders[KindSet] = decodeSet }
