package cache

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Set is the value of a set key, in one of three encodings as Redis keeps
// it: an intset (sorted int64s) while every member is an integer and there
// are at most setMaxIntsetEntries; a listpack (a slice in insertion order)
// while there are at most setMaxListpackEntries members of at most
// setMaxListpackValue bytes; a Dict otherwise. Conversions only go up.
//
// SPOP is a write replayed on every replica, so its random choices must
// depend only on the members and their order, never on history: the small
// encodings' order is kept by snapshots, and the Dict's is a function of its
// contents.
type Set struct {
	ints  []int64         // intset
	small []string        // listpack
	big   *Dict[struct{}] // hashtable
	enc   uint8
	bytes int64 // Σ len(member) in the listpack and hashtable encodings
}

const (
	setEncIntset    = 0
	setEncListpack  = 1
	setEncHashtable = 2
)

// set-max-intset-entries, set-max-listpack-entries, set-max-listpack-value.
// (The listpack encoding for sets is Redis 7.2's; 7.0 goes from intset
// straight to hashtable. Setting setMaxListpackEntries to 0 gives 7.0's.)
const (
	setMaxIntsetEntries   = 512
	setMaxListpackEntries = 128
	setMaxListpackValue   = 64
)

// Memory estimates: the value itself, and a member of the small encodings
// (the Dict reports its own overhead).
const (
	setBaseSize        = 48
	setIntsetPerElem   = 8
	setListpackPerElem = 16
)

func newSet() *Set { return &Set{} }

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc {
	case setEncIntset:
		return len(s.ints)
	case setEncListpack:
		return len(s.small)
	}
	return s.big.Len()
}

// MemSize estimates the bytes the set holds.
func (s *Set) MemSize() int64 {
	switch s.enc {
	case setEncIntset:
		return setBaseSize + setIntsetPerElem*int64(len(s.ints))
	case setEncListpack:
		return setBaseSize + s.bytes + setListpackPerElem*int64(len(s.small))
	}
	return setBaseSize + s.bytes + s.big.MemSize()
}

// Encoding is what OBJECT ENCODING answers.
func (s *Set) Encoding() string {
	switch s.enc {
	case setEncIntset:
		return "intset"
	case setEncListpack:
		return "listpack"
	}
	return "hashtable"
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
	switch s.enc {
	case setEncIntset:
		v, ok := setInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, v)
		return found
	case setEncListpack:
		return slices.Contains(s.small, m)
	}
	_, ok := s.big.Get(m)
	return ok
}

// Add adds m and reports whether it is new.
func (s *Set) Add(m string) bool {
	if s.enc == setEncIntset {
		if v, ok := setInt(m); ok {
			i, found := slices.BinarySearch(s.ints, v)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, v)
			if len(s.ints) > setMaxIntsetEntries {
				s.convert(setEncHashtable)
			}
			return true
		}
		if len(s.ints) < setMaxListpackEntries && len(m) <= setMaxListpackValue {
			s.convert(setEncListpack)
		} else {
			s.convert(setEncHashtable)
		}
	}
	if s.enc == setEncListpack {
		if slices.Contains(s.small, m) {
			return false
		}
		if len(s.small) < setMaxListpackEntries && len(m) <= setMaxListpackValue {
			s.small = append(s.small, m)
			s.bytes += int64(len(m))
			return true
		}
		s.convert(setEncHashtable)
	}
	if !s.big.Set(m, struct{}{}) {
		return false
	}
	s.bytes += int64(len(m))
	return true
}

// Remove deletes m and reports whether it was a member.
func (s *Set) Remove(m string) bool {
	switch s.enc {
	case setEncIntset:
		v, ok := setInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, v)
		if found {
			s.ints = slices.Delete(s.ints, i, i+1)
		}
		return found
	case setEncListpack:
		i := slices.Index(s.small, m)
		if i < 0 {
			return false
		}
		s.small = slices.Delete(s.small, i, i+1) // keeps order, as a listpack does
		s.bytes -= int64(len(m))
		return true
	}
	if _, ok := s.big.Delete(m); !ok {
		return false
	}
	s.bytes -= int64(len(m))
	return true
}

// convert moves the members to encoding enc, which is above the current one.
func (s *Set) convert(enc uint8) {
	var members []string
	s.Each(func(m string) bool { members = append(members, m); return true })
	s.ints, s.small, s.big, s.bytes, s.enc = nil, nil, nil, 0, enc
	if enc == setEncHashtable {
		s.big = NewDict[struct{}](len(members) + 1)
		for _, m := range members {
			s.big.Set(m, struct{}{})
		}
	} else {
		s.small = members
	}
	for _, m := range members {
		s.bytes += int64(len(m))
	}
}

// Each calls fn for every member until fn returns false. The set must not
// change during the walk.
func (s *Set) Each(fn func(m string) bool) {
	switch s.enc {
	case setEncIntset:
		for _, v := range s.ints {
			if !fn(strconv.FormatInt(v, 10)) {
				return
			}
		}
	case setEncListpack:
		for _, m := range s.small {
			if !fn(m) {
				return
			}
		}
	default:
		for m := range s.big.All() {
			if !fn(m) {
				return
			}
		}
	}
}

// Random returns a random member; the set must not be empty.
func (s *Set) Random(r *rand.Rand) string {
	switch s.enc {
	case setEncIntset:
		return strconv.FormatInt(s.ints[r.IntN(len(s.ints))], 10)
	case setEncListpack:
		return s.small[r.IntN(len(s.small))]
	}
	m, _, _ := s.big.Random(r)
	return m
}

// sample returns n distinct random members (n ≤ Len): a partial shuffle of
// all members when n is a large share or the set is small, else repeated
// random picks, as Redis does.
func (s *Set) sample(r *rand.Rand, n int) []string {
	size := s.Len()
	if n >= size || n*3 > size || s.enc != setEncHashtable {
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
	c := &Set{enc: s.enc, bytes: s.bytes, ints: slices.Clone(s.ints), small: slices.Clone(s.small)}
	if s.big != nil {
		c.big = s.big.Clone()
	}
	return c
}

// Serialized form: encoding u8 | count | members — intset members as
// varints in ascending order, the others length-prefixed. The encoding is
// kept so that OBJECT ENCODING answers the same after a restart.
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
	case setEncHashtable:
		s.big = NewDict[struct{}](n)
		fallthrough
	default:
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
