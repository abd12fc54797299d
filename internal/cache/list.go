package cache

import (
	"encoding/binary"
	"errors"
)

// list is a deque of byte strings in a ring buffer: O(1) push and pop at
// both ends and O(1) index access.
type list struct {
	buf   [][]byte
	head  int
	n     int
	bytes int64
}

func newList() *list { return &list{buf: make([][]byte, 4)} }

const listElemOverhead = 24 // slice header per element

func (l *list) Len() int { return l.n }

func (l *list) MemSize() int64 { return int64(cap(l.buf))*listElemOverhead + l.bytes + 48 }

func (l *list) at(i int) []byte { return l.buf[(l.head+i)%len(l.buf)] }

func (l *list) set(i int, v []byte) {
	p := &l.buf[(l.head+i)%len(l.buf)]
	l.bytes += int64(len(v) - len(*p))
	*p = v
}

func (l *list) grow() {
	if l.n < len(l.buf) {
		return
	}
	nb := make([][]byte, max(4, 2*len(l.buf)))
	for i := 0; i < l.n; i++ {
		nb[i] = l.at(i)
	}
	l.buf, l.head = nb, 0
}

func (l *list) shrink() {
	if len(l.buf) > 64 && l.n < len(l.buf)/4 {
		nb := make([][]byte, len(l.buf)/2)
		for i := 0; i < l.n; i++ {
			nb[i] = l.at(i)
		}
		l.buf, l.head = nb, 0
	}
}

func (l *list) pushBack(v []byte) {
	l.grow()
	l.buf[(l.head+l.n)%len(l.buf)] = v
	l.n++
	l.bytes += int64(len(v))
}

func (l *list) pushFront(v []byte) {
	l.grow()
	l.head = (l.head - 1 + len(l.buf)) % len(l.buf)
	l.buf[l.head] = v
	l.n++
	l.bytes += int64(len(v))
}

func (l *list) popFront() []byte {
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = (l.head + 1) % len(l.buf)
	l.n--
	l.bytes -= int64(len(v))
	l.shrink()
	return v
}

func (l *list) popBack() []byte {
	i := (l.head + l.n - 1) % len(l.buf)
	v := l.buf[i]
	l.buf[i] = nil
	l.n--
	l.bytes -= int64(len(v))
	l.shrink()
	return v
}

// slice returns elements [start, stop] (inclusive, already clamped).
func (l *list) slice(start, stop int) [][]byte {
	out := make([][]byte, 0, max(0, stop-start+1))
	for i := start; i <= stop; i++ {
		out = append(out, l.at(i))
	}
	return out
}

// replaceAll rebuilds the list from elems.
func (l *list) replaceAll(elems [][]byte) {
	l.buf = make([][]byte, max(4, len(elems)))
	copy(l.buf, elems)
	l.head, l.n, l.bytes = 0, len(elems), 0
	for _, e := range elems {
		l.bytes += int64(len(e))
	}
}

func (l *list) all() [][]byte { return l.slice(0, l.n-1) }

func (l *list) Clone() Aggregate {
	c := newList()
	for i := 0; i < l.n; i++ {
		c.pushBack(append([]byte(nil), l.at(i)...))
	}
	return c
}

// Encoding is what Redis 7.0 reports: a listpack while the list is small
// (at most 128 elements in 8 KB), otherwise a quicklist.
func (l *list) Encoding() string {
	if l.n <= 128 && l.bytes <= 8192 {
		return "listpack"
	}
	return "quicklist"
}

func (l *list) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(l.n))
	for i := 0; i < l.n; i++ {
		b = AppendBytes(b, l.at(i))
	}
	return b
}

var errBadList = errors.New("bad list encoding")

func init() {
	decoders[KindList] = func(b []byte) (Aggregate, error) {
		d := &Decoder{B: b}
		n := d.Count(1)
		l := newList()
		for i := 0; i < n && d.Err == nil; i++ {
			l.pushBack(d.Bytes())
		}
		if d.Err != nil || len(d.B) != 0 || l.n == 0 {
			return nil, errBadList
		}
		return l, nil
	}
}
