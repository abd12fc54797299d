package cache

import (
	"iter"
	"math/bits"
	"math/rand/v2"
	"slices"
	"unsafe"
)

// Dict is the hash table behind databases, hashes, sets and sorted sets:
// Redis's dict (chained buckets, power-of-two tables, incremental rehashing
// from one table into the next, shrinking when sparse) laid out for Go's
// collector.
//
// Layout. Elements live densely in a slab of fixed-size chunks: the live
// elements are exactly nodes [0, Len). A chain link is a uint32 (node index
// + 1; 0 ends a chain) and a node keeps 32 bits of its key's hash, so a node
// is value + key + 8 bytes (32 bytes for a pointer value), a bucket is 4
// bytes, no element is a separate allocation, and rehashing never hashes a
// key again. Delete moves the last node into the hole, which keeps the slab
// dense: memory follows Len down, and Sample is O(1). Bucket arrays are
// segmented and segments are allocated on first write, so growing to a
// table of any size costs no single operation more than a few 32 KiB
// allocations.
//
// Order. Everything observable about order — All, Scan, Random — depends
// only on the elements present, never on the table's history (its size,
// rehash progress, insertion order): commands run at apply time on every
// replica and after a restart from a snapshot, and scripts see that order.
// An element's position is its bit-reversed hash (ties broken by key). A
// bucket of a 2^k table holds exactly the elements of one range of
// positions, and visiting buckets in reverse-binary order (Redis's dictScan
// cursor) visits the ranges in increasing order. A Scan cursor is a
// position, so it survives any resize between calls.
//
// Not safe for concurrent use. The read methods (Len, Get, All, Scan,
// Random, Sample, MemSize) never change the dict, so readers may share it.
type Dict[V any] struct {
	chunks [][]dictNode[V]
	n      int
	// ht[1] exists while rehashing: buckets of ht[0] below rehash have
	// been moved into it, and new elements go there.
	ht          [2]dictTable
	rehash      uint32
	bucketBytes int64
}

type dictNode[V any] struct {
	val  V // first, so that a zero-size V adds no padding
	key  string
	next uint32 // link to the next node of the chain
	hash uint32
}

type dictTable struct {
	segs [][]uint32 // bucket heads (links); a nil segment is all empty
	mask uint32
	used int
}

const (
	dictMinSize     = 4
	dictMaxSize     = 1 << 31 // buckets
	dictMaxLen      = 1<<32 - 2
	dictSegShift    = 13 // 8 Ki buckets, 32 KiB per segment
	dictSegMask     = 1<<dictSegShift - 1
	dictChunkShift  = 10 // 1 Ki nodes per slab chunk
	dictChunkSize   = 1 << dictChunkShift
	dictChunkMask   = dictChunkSize - 1
	dictMoveBuckets = 4  // non-empty buckets moved per write while rehashing
	dictMoveEmpty   = 40 // empty buckets a write may skip while rehashing
	dictShrinkFill  = 10 // shrink when under 1/10 full (Redis's HASHTABLE_MIN_FILL)
)

// NewDict returns an empty dict sized for hint elements.
func NewDict[V any](hint int) *Dict[V] {
	d := &Dict[V]{}
	if hint > 0 {
		d.ht[0] = newDictTable(dictTableSize(uint64(hint)))
		d.chunks = [][]dictNode[V]{make([]dictNode[V], min(hint, dictChunkSize))}
	}
	return d
}

func dictTableSize(n uint64) uint64 {
	if n <= dictMinSize {
		return dictMinSize
	}
	return min(uint64(1)<<bits.Len64(n-1), dictMaxSize)
}

func newDictTable(size uint64) dictTable {
	nseg := (size + dictSegMask) >> dictSegShift
	return dictTable{segs: make([][]uint32, nseg), mask: uint32(size - 1)}
}

func (t *dictTable) size() uint64 {
	if t.segs == nil {
		return 0
	}
	return uint64(t.mask) + 1
}

func (t *dictTable) head(b uint32) uint32 {
	if s := t.segs[b>>dictSegShift]; s != nil {
		return s[b&dictSegMask]
	}
	return 0
}

// slot returns the head of bucket b for writing, allocating its segment.
func (d *Dict[V]) slot(t *dictTable, b uint32) *uint32 {
	s := t.segs[b>>dictSegShift]
	if s == nil {
		s = make([]uint32, min(t.size(), 1<<dictSegShift))
		t.segs[b>>dictSegShift] = s
		d.bucketBytes += 4 * int64(len(s))
	}
	return &s[b&dictSegMask]
}

func (d *Dict[V]) node(link uint32) *dictNode[V] {
	i := link - 1
	return &d.chunks[i>>dictChunkShift][i&dictChunkMask]
}

func (d *Dict[V]) rehashing() bool { return d.ht[1].segs != nil }

// Len is the number of elements.
func (d *Dict[V]) Len() int { return d.n }

// Get returns the value under key.
func (d *Dict[V]) Get(key string) (V, bool) {
	if l := d.find(key, dictHash(key)); l != 0 {
		return d.node(l).val, true
	}
	var zero V
	return zero, false
}

func (d *Dict[V]) find(key string, h uint32) uint32 {
	if d.n == 0 {
		return 0
	}
	for ti := range d.ht {
		t := &d.ht[ti]
		if t.segs == nil {
			break
		}
		b := h & t.mask
		if ti == 0 && d.rehashing() && b < d.rehash {
			continue // moved
		}
		for l := t.head(b); l != 0; {
			nd := d.node(l)
			if nd.hash == h && nd.key == key {
				return l
			}
			l = nd.next
		}
	}
	return 0
}

// ref returns the link that points at the node holding key (or, if want is
// not 0, at node want, whose hash is h), and the table it is in.
func (d *Dict[V]) ref(h uint32, key string, want uint32) (*uint32, *dictTable) {
	for ti := range d.ht {
		t := &d.ht[ti]
		if t.segs == nil {
			break
		}
		b := h & t.mask
		s := t.segs[b>>dictSegShift]
		if s == nil || ti == 0 && d.rehashing() && b < d.rehash {
			continue
		}
		for p := &s[b&dictSegMask]; *p != 0; {
			nd := d.node(*p)
			if *p == want || want == 0 && nd.hash == h && nd.key == key {
				return p, t
			}
			p = &nd.next
		}
	}
	return nil, nil
}

// Set stores v under key and reports whether the key is new.
func (d *Dict[V]) Set(key string, v V) bool {
	d.rehashStep()
	h := dictHash(key)
	if l := d.find(key, h); l != 0 {
		d.node(l).val = v
		return false
	}
	if !d.rehashing() && uint64(d.n) >= d.ht[0].size() {
		d.resize(uint64(d.n) + 1)
	}
	l := d.alloc()
	nd := d.node(l)
	nd.val, nd.key, nd.hash = v, key, h
	t := &d.ht[0]
	if d.rehashing() {
		t = &d.ht[1]
	}
	p := d.slot(t, h&t.mask)
	nd.next, *p = *p, l
	t.used++
	return true
}

// Delete removes key and returns its value.
func (d *Dict[V]) Delete(key string) (V, bool) {
	var zero V
	if d.n == 0 {
		return zero, false
	}
	d.rehashStep()
	p, t := d.ref(dictHash(key), key, 0)
	if p == nil {
		return zero, false
	}
	l := *p
	nd := d.node(l)
	v := nd.val
	*p = nd.next
	t.used--
	if last := uint32(d.n); l != last {
		// Keep the slab dense: the last node takes the freed slot.
		lp, _ := d.ref(d.node(last).hash, "", last)
		*lp = l
		*nd = *d.node(last)
	}
	*d.node(uint32(d.n)) = dictNode[V]{} // drop references for the GC
	d.n--
	switch {
	case d.n == 0:
		*d = Dict[V]{}
	case !d.rehashing() && d.ht[0].size() > dictMinSize &&
		uint64(d.n)*dictShrinkFill < d.ht[0].size():
		d.resize(uint64(d.n))
	}
	d.releaseChunks()
	return v, true
}

// resize starts rehashing into a table sized for n elements.
func (d *Dict[V]) resize(n uint64) {
	size := dictTableSize(n)
	if d.ht[0].segs == nil {
		d.ht[0] = newDictTable(size)
		return
	}
	if size != d.ht[0].size() {
		d.ht[1] = newDictTable(size)
		d.rehash = 0
	}
}

// rehashStep moves a few buckets of ht[0] into ht[1]. Each write moves at
// least one, so the old table is drained before the new one fills up.
func (d *Dict[V]) rehashStep() {
	if !d.rehashing() {
		return
	}
	t0, t1 := &d.ht[0], &d.ht[1]
	size0 := t0.size()
	for moved, empty := 0, 0; uint64(d.rehash) < size0 && moved < dictMoveBuckets && empty < dictMoveEmpty; {
		b := d.rehash
		seg := t0.segs[b>>dictSegShift]
		if seg == nil { // never written: skip the whole segment
			d.rehash = (b>>dictSegShift + 1) << dictSegShift
			empty++
			continue
		}
		l := seg[b&dictSegMask]
		if l == 0 {
			empty++
		} else {
			moved++
			seg[b&dictSegMask] = 0
			for l != 0 {
				nd := d.node(l)
				next := nd.next
				p := d.slot(t1, nd.hash&t1.mask)
				nd.next, *p = *p, l
				t0.used--
				t1.used++
				l = next
			}
		}
		d.rehash++
		if d.rehash&dictSegMask == 0 || uint64(d.rehash) == size0 {
			t0.segs[b>>dictSegShift] = nil // drained: free it now
			d.bucketBytes -= 4 * int64(len(seg))
		}
	}
	if uint64(d.rehash) >= size0 {
		for _, s := range t0.segs {
			d.bucketBytes -= 4 * int64(len(s))
		}
		d.ht[0], d.ht[1], d.rehash = *t1, dictTable{}, 0
	}
}

// alloc appends a node to the slab and returns its link.
func (d *Dict[V]) alloc() uint32 {
	if d.n >= dictMaxLen {
		panic("cache: dict full")
	}
	c := len(d.chunks)
	capacity := 0
	if c > 0 {
		capacity = (c-1)*dictChunkSize + len(d.chunks[c-1])
	}
	if d.n == capacity {
		switch {
		case c == 0:
			d.chunks = append(d.chunks, make([]dictNode[V], dictMinSize))
		case c == 1 && len(d.chunks[0]) < dictChunkSize:
			// Small dicts grow their first chunk geometrically, as a slice.
			grown := make([]dictNode[V], min(2*len(d.chunks[0]), dictChunkSize))
			copy(grown, d.chunks[0])
			d.chunks[0] = grown
		default:
			d.chunks = append(d.chunks, make([]dictNode[V], dictChunkSize))
		}
	}
	d.n++
	return uint32(d.n)
}

// releaseChunks returns slab memory as the dict shrinks, with hysteresis so
// that an element added and removed at a boundary does not reallocate.
func (d *Dict[V]) releaseChunks() {
	c := len(d.chunks)
	switch {
	case c > 1 && d.n <= (c-1)*dictChunkSize-dictChunkSize/2:
		d.chunks[c-1] = nil
		d.chunks = d.chunks[:c-1]
	case c == 1 && len(d.chunks[0]) > 2*dictMinSize && d.n < len(d.chunks[0])/4:
		shrunk := make([]dictNode[V], max(2*d.n, dictMinSize))
		copy(shrunk, d.chunks[0][:d.n])
		d.chunks[0] = shrunk
	}
}

// MemSize estimates the bytes the dict itself holds (nodes with their key
// and value headers, buckets), not what keys and values point to.
func (d *Dict[V]) MemSize() int64 {
	nodes := 0
	if c := len(d.chunks); c > 0 {
		nodes = (c-1)*dictChunkSize + len(d.chunks[c-1])
	}
	const header = int64(unsafe.Sizeof([]byte(nil)))
	return int64(unsafe.Sizeof(*d)) + int64(nodes)*int64(unsafe.Sizeof(dictNode[V]{})) +
		header*int64(cap(d.chunks)+len(d.ht[0].segs)+len(d.ht[1].segs)) + d.bucketBytes
}

// Clone returns a copy of the dict; values are copied by assignment.
func (d *Dict[V]) Clone() *Dict[V] {
	c := &Dict[V]{n: d.n, rehash: d.rehash, bucketBytes: d.bucketBytes}
	c.chunks = make([][]dictNode[V], len(d.chunks))
	for i, ch := range d.chunks {
		c.chunks[i] = slices.Clone(ch)
	}
	for ti, t := range d.ht {
		if t.segs == nil {
			continue
		}
		segs := make([][]uint32, len(t.segs))
		for i, s := range t.segs {
			segs[i] = slices.Clone(s)
		}
		c.ht[ti] = dictTable{segs: segs, mask: t.mask, used: t.used}
	}
	return c
}

// All iterates over every element in position order. Deleting the element
// just returned is allowed (as with a Go map); other changes during the loop
// may make it miss or repeat elements.
func (d *Dict[V]) All() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		var links [32]uint32
		var pairs []dictPair[V]
		for from, more := uint32(0), d.n > 0; more && d.n > 0; {
			var buf []uint32
			buf, from, more = d.unit(from, links[:0])
			pairs = pairs[:0]
			for _, l := range buf {
				nd := d.node(l)
				pairs = append(pairs, dictPair[V]{nd.key, nd.val})
			}
			for _, p := range pairs {
				if !yield(p.key, p.val) {
					return
				}
			}
		}
	}
}

type dictPair[V any] struct {
	key string
	val V
}

// unit appends to buf, in order, the elements at positions from up to the
// end of the range that from's bucket in the smaller table covers, and
// returns the position after that range (more == false if it was the last).
func (d *Dict[V]) unit(from uint32, buf []uint32) (_ []uint32, next uint32, more bool) {
	if d.n == 0 {
		return buf, 0, false
	}
	mask := d.ht[0].mask
	if d.rehashing() {
		mask = min(mask, d.ht[1].mask)
	}
	shift := 32 - bits.OnesCount32(mask)
	buf = d.gather(bits.Reverse32(from)&mask, mask, from, buf)
	d.sortByPosition(buf)
	after := (uint64(from>>shift) + 1) << shift
	return buf, uint32(after), after < 1<<32
}

// gather appends the elements at or after position from whose hash is vb
// under vmask: one bucket of a virtual table of size vmask+1.
func (d *Dict[V]) gather(vb, vmask, from uint32, buf []uint32) []uint32 {
	for ti := range d.ht {
		t := &d.ht[ti]
		if t.segs == nil {
			break
		}
		if t.mask >= vmask { // the virtual bucket spans several real ones
			for b := uint64(vb); b <= uint64(t.mask); b += uint64(vmask) + 1 {
				for l := t.head(uint32(b)); l != 0; {
					nd := d.node(l)
					if bits.Reverse32(nd.hash) >= from {
						buf = append(buf, l)
					}
					l = nd.next
				}
			}
			continue
		}
		for l := t.head(vb & t.mask); l != 0; { // part of one real bucket
			nd := d.node(l)
			if nd.hash&vmask == vb && bits.Reverse32(nd.hash) >= from {
				buf = append(buf, l)
			}
			l = nd.next
		}
	}
	return buf
}

// sortByPosition orders a few elements by position, then key.
func (d *Dict[V]) sortByPosition(buf []uint32) {
	for i := 1; i < len(buf); i++ {
		for j := i; j > 0; j-- {
			a, b := d.node(buf[j-1]), d.node(buf[j])
			pa, pb := bits.Reverse32(a.hash), bits.Reverse32(b.hash)
			if pa < pb || pa == pb && a.key <= b.key {
				break
			}
			buf[j-1], buf[j] = buf[j], buf[j-1]
		}
	}
}

// Scan calls fn for about count elements starting at cursor and returns the
// next cursor (0 when the scan is complete), with SCAN's guarantee: an
// element present from the first call to the last is returned at least
// once, even if the dict changes between calls. The cursor is a position:
// a call returns the elements from cursor up to the returned cursor, so
// only elements of equal hash can ever come twice. fn must not change the
// dict.
func (d *Dict[V]) Scan(cursor uint64, count int, fn func(key string, v V)) uint64 {
	if d.n == 0 {
		return 0
	}
	count = max(count, 1)
	from := uint32(cursor)
	// Like Redis, bound the work on a sparse table: stop after the range of
	// positions that holds about 10*count elements. The bound depends only
	// on the cursor and Len, so the batches are the same on every replica.
	limit := uint64(1) << 32
	if c := uint64(count) * 10; c < uint64(d.n) {
		limit = min(limit, uint64(from)+max(c<<32/uint64(d.n), 1))
	}
	var links [32]uint32
	emitted, last, more := 0, uint32(0), true
	for more && uint64(from) < limit {
		var buf []uint32
		buf, from, more = d.unit(from, links[:0])
		for _, l := range buf {
			nd := d.node(l)
			pos := bits.Reverse32(nd.hash)
			switch {
			case uint64(pos) >= limit:
				return limit
			case emitted >= count && pos != last:
				return uint64(pos) // > last >= 0, so never mistaken for the end
			}
			fn(nd.key, nd.val)
			emitted, last = emitted+1, pos
		}
	}
	if !more || limit == 1<<32 {
		return 0
	}
	return limit
}

// dictRandomCap bounds the elements Random considers per virtual bucket: a
// bucket of k elements is accepted with probability k/dictRandomCap, which
// makes the choice uniform across buckets of different sizes (buckets hold
// about 2 to 4 elements; more than 12 is rare enough not to matter).
const dictRandomCap = 12

// Random returns a random element, or ok == false if the dict is empty. The
// choice depends only on r and on the elements present (not on the table's
// history), so replaying the same entry gives the same element everywhere.
// It is uniform: a virtual bucket is drawn, then a slot among dictRandomCap,
// retried when the slot is empty.
func (d *Dict[V]) Random(r *rand.Rand) (key string, v V, ok bool) {
	if d.n == 0 {
		return "", v, false
	}
	vsize := max(dictTableSize(uint64(d.n))>>2, 1)
	vmask := uint32(vsize - 1)
	var links [32]uint32
	for {
		buf := d.gather(r.Uint32()&vmask, vmask, 0, links[:0])
		slots := len(buf)
		if vmask != 0 {
			slots = max(slots, dictRandomCap)
		}
		if j := r.IntN(slots); j < len(buf) {
			d.sortByPosition(buf)
			nd := d.node(buf[j])
			return nd.key, nd.val, true
		}
	}
}

// Sample calls fn with n elements drawn uniformly with replacement, in O(1)
// each. Unlike Random the draw depends on the dict's history, so it is for
// decisions the leader logs (eviction, active expiry), never for apply.
func (d *Dict[V]) Sample(r *rand.Rand, n int, fn func(key string, v V)) {
	for range n {
		if d.n == 0 {
			return
		}
		nd := d.node(uint32(r.IntN(d.n)) + 1)
		fn(nd.key, nd.val)
	}
}

// dictHash is wyhash (final version 4) with a fixed seed, folded to 32 bits.
// It must give the same value in every process: order is observable.
func dictHash(s string) uint32 {
	const (
		p0   = 0x2d358dccaa6c78a5
		p1   = 0x8bb84b93962eacc9
		p2   = 0x4b33a62ed433d4a3
		p3   = 0x4d5a2da51de1aa47
		seed = 0x5f47e1b3a4c2d908 // any fixed value; never per process
	)
	n := len(s)
	h := uint64(seed)
	var a, b uint64
	switch {
	case n <= 16:
		if n >= 4 {
			q := (n >> 3) << 2
			a = dictLE32(s, 0)<<32 | dictLE32(s, q)
			b = dictLE32(s, n-4)<<32 | dictLE32(s, n-4-q)
		} else if n > 0 {
			a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
		}
	default:
		i := 0
		if n > 48 {
			h1, h2 := h, h
			for ; n-i > 48; i += 48 {
				h = dictMix(dictLE64(s, i)^p1, dictLE64(s, i+8)^h)
				h1 = dictMix(dictLE64(s, i+16)^p2, dictLE64(s, i+24)^h1)
				h2 = dictMix(dictLE64(s, i+32)^p3, dictLE64(s, i+40)^h2)
			}
			h ^= h1 ^ h2
		}
		for ; n-i > 16; i += 16 {
			h = dictMix(dictLE64(s, i)^p1, dictLE64(s, i+8)^h)
		}
		a, b = dictLE64(s, n-16), dictLE64(s, n-8)
	}
	hi, lo := bits.Mul64(a^p1, b^h)
	x := dictMix(lo^p0^uint64(n), hi^p1)
	return uint32(x ^ x>>32)
}

func dictMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func dictLE32(s string, i int) uint64 {
	s = s[i : i+4]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

func dictLE64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
