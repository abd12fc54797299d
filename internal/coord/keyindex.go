package coord

import (
	"slices"
	"sort"
	"strings"
)

// chunkMax bounds a chunk of the key index: inserts move at most this many
// keys, and the chunk list is n/chunkMax long.
const chunkMax = 512

// keyIndex holds every key's history in key order: a list of sorted
// chunks, so that inserting a new key costs O(chunkMax + n/chunkMax) rather
// than O(n), and a range scan is a seek and a walk.
type keyIndex struct {
	chunks [][]*keyHist
	n      int
}

func (x *keyIndex) len() int { return x.n }

// seek returns the position of the first key ≥ k.
func (x *keyIndex) seek(k string) (ci, i int) {
	ci = sort.Search(len(x.chunks), func(c int) bool {
		ch := x.chunks[c]
		return ch[len(ch)-1].key >= k
	})
	if ci == len(x.chunks) {
		return ci, 0
	}
	i, _ = slices.BinarySearchFunc(x.chunks[ci], k, func(h *keyHist, k string) int { return strings.Compare(h.key, k) })
	return ci, i
}

// insert adds h, whose key must not be present.
func (x *keyIndex) insert(h *keyHist) {
	x.n++
	if len(x.chunks) == 0 {
		x.chunks = [][]*keyHist{{h}}
		return
	}
	ci, i := x.seek(h.key)
	if ci == len(x.chunks) { // beyond every key: append to the last chunk
		ci = len(x.chunks) - 1
		i = len(x.chunks[ci])
	}
	ch := slices.Insert(x.chunks[ci], i, h)
	if len(ch) <= chunkMax {
		x.chunks[ci] = ch
		return
	}
	half := len(ch) / 2
	left := slices.Clone(ch[:half])
	right := slices.Clone(ch[half:])
	x.chunks[ci] = left
	x.chunks = slices.Insert(x.chunks, ci+1, right)
}

// walk calls fn for each key ≥ from, in order, until fn returns false.
func (x *keyIndex) walk(from string, fn func(*keyHist) bool) {
	ci, i := x.seek(from)
	for ; ci < len(x.chunks); ci, i = ci+1, 0 {
		for _, h := range x.chunks[ci][i:] {
			if !fn(h) {
				return
			}
		}
	}
}

// filter keeps the keys for which keep is true, rebuilding the chunks.
func (x *keyIndex) filter(keep func(*keyHist) bool) {
	var all []*keyHist
	for _, ch := range x.chunks {
		for _, h := range ch {
			if keep(h) {
				all = append(all, h)
			}
		}
	}
	x.build(all)
}

// build replaces the index with histories sorted by distinct keys.
func (x *keyIndex) build(sorted []*keyHist) {
	x.chunks, x.n = nil, len(sorted)
	for len(sorted) > 0 {
		n := min(len(sorted), chunkMax/2)
		x.chunks = append(x.chunks, slices.Clone(sorted[:n]))
		sorted = sorted[n:]
	}
}
