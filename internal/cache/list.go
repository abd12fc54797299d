package cache

import (
	"encoding/binary"
	"fmt"
	"math"
)

// List is a list value: a ring buffer of elements, so that pushes and pops at
// either end are amortized O(1) and indexing is O(1). A ring of slice headers
// sized to the list (a one-element list holds one slot) keeps many small
// lists cheap, where a chunked deque would pay a whole chunk per list.
//
// Elements are owned by the list and never changed in place: LSET swaps the
// slot's slice. Popped elements can therefore be handed to a reply as they are.
type List struct {
	ring  [][]byte
	head  int   // ring index of element 0
	n     int   // number of elements
	bytes int64 // sum of element lengths, for MemSize and Encoding
}

// Memory estimate: the struct, one slice header per ring slot, and each
// element's bytes plus the allocator's per-object rounding.
const (
	listOverhead     = 64
	listSlotSize     = 24
	listElemOverhead = 8
)

// Redis 7's thresholds for a list that still fits one listpack node
// (list-max-listpack-size -2: 8 KB), with a cap on the element count.
const (
	listpackMaxBytes   = 8 << 10
	listpackMaxEntries = 128
)

func newList(capacity int) *List {
	return &List{ring: make([][]byte, capacity)}
}

// Len is the number of elements.
func (l *List) Len() int { return l.n }

// MemSize estimates the bytes the list holds, in O(1).
func (l *List) MemSize() int64 {
	return listOverhead + int64(len(l.ring))*listSlotSize + l.bytes + int64(l.n)*listElemOverhead
}

// Encoding answers OBJECT ENCODING. The listpack size is estimated as the
// element bytes plus two bytes of per-entry header and trailer.
func (l *List) Encoding() string {
	if l.n <= listpackMaxEntries && l.bytes+2*int64(l.n) <= listpackMaxBytes {
		return "listpack"
	}
	return "quicklist"
}

// Clone returns a deep copy.
func (l *List) Clone() Aggregate {
	c := newList(l.n)
	for i := 0; i < l.n; i++ {
		c.ring[i] = append([]byte(nil), l.At(i)...)
	}
	c.n, c.bytes = l.n, l.bytes
	return c
}

// slot maps element index i (0 ≤ i < len(ring)) to its ring index.
func (l *List) slot(i int) int {
	j := l.head + i
	if j >= len(l.ring) {
		j -= len(l.ring)
	}
	return j
}

// At returns element i, 0 ≤ i < Len.
func (l *List) At(i int) []byte { return l.ring[l.slot(i)] }

// Set replaces element i with a copy of v.
func (l *List) Set(i int, v []byte) {
	s := l.slot(i)
	l.bytes += int64(len(v)) - int64(len(l.ring[s]))
	l.ring[s] = cloneElem(v)
}

// clone copies an argument: arguments alias the request buffer.
func cloneElem(v []byte) []byte { return append([]byte{}, v...) }

// reserve makes room for extra more elements, doubling so pushes stay
// amortized O(1). A new list gets exactly what its first push needs.
func (l *List) reserve(extra int) {
	need := l.n + extra
	if need <= len(l.ring) {
		return
	}
	size := need
	if len(l.ring) > 0 {
		size = max(need, 2*len(l.ring), 4)
	}
	l.resize(size)
}

// resize moves the elements to a new ring of size slots, starting at 0.
func (l *List) resize(size int) {
	ring := make([][]byte, size)
	if l.head+l.n <= len(l.ring) {
		copy(ring, l.ring[l.head:l.head+l.n])
	} else {
		k := copy(ring, l.ring[l.head:])
		copy(ring[k:], l.ring[:l.n-k])
	}
	l.ring, l.head = ring, 0
}

// shrink halves the ring once it is three quarters empty, so a list that
// was long once does not keep its peak memory.
func (l *List) shrink() {
	if len(l.ring) > 8 && l.n < len(l.ring)/4 {
		l.resize(len(l.ring) / 2)
	}
}

// PushFront inserts a copy of v before element 0.
func (l *List) PushFront(v []byte) {
	l.reserve(1)
	l.head--
	if l.head < 0 {
		l.head += len(l.ring)
	}
	l.ring[l.head] = cloneElem(v)
	l.n++
	l.bytes += int64(len(v))
}

// PushBack appends a copy of v.
func (l *List) PushBack(v []byte) {
	l.reserve(1)
	l.ring[l.slot(l.n)] = cloneElem(v)
	l.n++
	l.bytes += int64(len(v))
}

// PopFront removes and returns element 0; the list must not be empty.
func (l *List) PopFront() []byte {
	v := l.ring[l.head]
	l.ring[l.head] = nil
	l.head = l.slot(1)
	l.n--
	l.bytes -= int64(len(v))
	if l.n == 0 {
		l.head = 0
	}
	l.shrink()
	return v
}

// PopBack removes and returns the last element; the list must not be empty.
func (l *List) PopBack() []byte {
	s := l.slot(l.n - 1)
	v := l.ring[s]
	l.ring[s] = nil
	l.n--
	l.bytes -= int64(len(v))
	if l.n == 0 {
		l.head = 0
	}
	l.shrink()
	return v
}

// Insert puts a copy of v at index i (0 ≤ i ≤ Len), moving whichever side
// of i is shorter.
func (l *List) Insert(i int, v []byte) {
	l.reserve(1)
	if i >= l.n/2 {
		for j := l.n; j > i; j-- {
			l.ring[l.slot(j)] = l.ring[l.slot(j-1)]
		}
	} else {
		l.head--
		if l.head < 0 {
			l.head += len(l.ring)
		}
		for j := 0; j < i; j++ {
			l.ring[l.slot(j)] = l.ring[l.slot(j+1)]
		}
	}
	l.ring[l.slot(i)] = cloneElem(v)
	l.n++
	l.bytes += int64(len(v))
}

// Index returns the position of the first element equal to v, or -1.
func (l *List) Index(v []byte) int {
	for i := 0; i < l.n; i++ {
		if string(l.At(i)) == string(v) {
			return i
		}
	}
	return -1
}

// Remove deletes up to limit elements equal to v (limit 0: all), scanning
// from the tail when fromTail, and returns how many it removed. The kept
// elements are compacted in place.
func (l *List) Remove(v []byte, limit int, fromTail bool) int {
	removed := 0
	match := func(x []byte) bool {
		return (limit == 0 || removed < limit) && string(x) == string(v)
	}
	if !fromTail {
		w := 0
		for r := 0; r < l.n; r++ {
			x := l.At(r)
			if match(x) {
				removed++
				l.bytes -= int64(len(x))
				continue
			}
			l.ring[l.slot(w)] = x
			w++
		}
		for j := w; j < l.n; j++ {
			l.ring[l.slot(j)] = nil
		}
	} else {
		w := l.n - 1
		for r := l.n - 1; r >= 0; r-- {
			x := l.At(r)
			if match(x) {
				removed++
				l.bytes -= int64(len(x))
				continue
			}
			l.ring[l.slot(w)] = x
			w--
		}
		for j := 0; j < removed; j++ {
			l.ring[l.slot(j)] = nil
		}
		if removed < l.n {
			l.head = l.slot(removed)
		}
	}
	l.n -= removed
	if l.n == 0 {
		l.head = 0
	}
	l.shrink()
	return removed
}

// Trim keeps elements start..stop inclusive (0 ≤ start ≤ stop < Len) or,
// when keep is false, none.
func (l *List) Trim(start, stop int, keep bool) {
	if !keep {
		start, stop = l.n, l.n-1
	}
	for i := 0; i < start; i++ {
		s := l.slot(i)
		l.bytes -= int64(len(l.ring[s]))
		l.ring[s] = nil
	}
	for i := stop + 1; i < l.n; i++ {
		s := l.slot(i)
		l.bytes -= int64(len(l.ring[s]))
		l.ring[s] = nil
	}
	if start < l.n {
		l.head = l.slot(start)
	}
	l.n = stop - start + 1
	if l.n == 0 {
		l.head = 0
	}
	l.shrink()
}

// Find returns the positions of the matches of v, as LPOS: skipping the
// first |rank|-1, scanning from the tail when rank < 0, at most count of
// them (0: all; -1: one), within the first maxlen elements scanned (0: all).
func (l *List) Find(v []byte, rank, count, maxlen int64) []int {
	fromTail := rank < 0
	skip := rank
	if fromTail {
		skip = -rank
		if skip < 0 { // -MinInt64: Redis overflows into "every match"
			skip = 1
		}
	}
	want := count
	if want <= 0 {
		want = math.MaxInt64
		if count < 0 {
			want = 1
		}
	}
	n := l.Len()
	if maxlen == 0 || maxlen > int64(n) {
		maxlen = int64(n)
	}
	var found []int
	for j := 0; j < int(maxlen); j++ {
		i := j
		if fromTail {
			i = n - 1 - j
		}
		if string(l.At(i)) != string(v) {
			continue
		}
		if skip > 1 {
			skip--
			continue
		}
		found = append(found, i)
		if int64(len(found)) >= want {
			break
		}
	}
	return found
}

// AppendBinary writes the element count, then each element length-prefixed.
func (l *List) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(l.n))
	for i := 0; i < l.n; i++ {
		b = AppendBytes(b, l.At(i))
	}
	return b
}

func decodeList(b []byte) (Aggregate, error) {
	d := &Decoder{B: b}
	n := d.Count(1) // each element takes at least its length byte
	if d.Err == nil && n == 0 {
		return nil, fmt.Errorf("list: %w: empty list", errBadValue)
	}
	l := newList(n)
	for i := 0; i < n && d.Err == nil; i++ {
		v := d.Bytes()
		l.ring[i] = v
		l.bytes += int64(len(v))
	}
	if d.Err != nil {
		return nil, fmt.Errorf("list: %w", d.Err)
	}
	if len(d.B) != 0 {
		return nil, fmt.Errorf("list: %w: %d trailing bytes", errBadValue, len(d.B))
	}
	l.n = n
	return l, nil
}

func init() { decoders[KindList] = decodeList }
