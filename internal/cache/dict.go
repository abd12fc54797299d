package cache

import (
	"hash/maphash"
	"iter"
	"math/rand/v2"
	"slices"
)

// Dict is the hash table behind databases, hashes, sets and sorted sets.
//
// PLACEHOLDER implementation over a Go map (being replaced by a Redis-style
// incrementally rehashed table): Scan is O(n) per call here.
type Dict[V any] struct {
	m map[string]V
}

var dictSeed = maphash.MakeSeed()

// NewDict returns an empty dict sized for hint elements.
func NewDict[V any](hint int) *Dict[V] { return &Dict[V]{m: make(map[string]V, hint)} }

// Len is the number of elements.
func (d *Dict[V]) Len() int { return len(d.m) }

// Get returns the value under key.
func (d *Dict[V]) Get(key string) (V, bool) { v, ok := d.m[key]; return v, ok }

// Set stores v under key and reports whether the key is new.
func (d *Dict[V]) Set(key string, v V) bool {
	_, had := d.m[key]
	d.m[key] = v
	return !had
}

// Delete removes key and returns its value.
func (d *Dict[V]) Delete(key string) (V, bool) {
	v, ok := d.m[key]
	if ok {
		delete(d.m, key)
	}
	return v, ok
}

// All iterates over every element. The dict must not change during the loop.
func (d *Dict[V]) All() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for k, v := range d.m {
			if !yield(k, v) {
				return
			}
		}
	}
}

// Scan calls fn for a batch of about count elements starting at cursor and
// returns the next cursor (0 when the scan is complete), with SCAN's
// guarantee: an element present from the first call to the last is returned
// at least once, even if the dict changes between calls.
func (d *Dict[V]) Scan(cursor uint64, count int, fn func(key string, v V)) uint64 {
	type kh struct {
		h uint64
		k string
	}
	var all []kh
	for k := range d.m {
		if h := maphash.String(dictSeed, k); h >= cursor {
			all = append(all, kh{h, k})
		}
	}
	slices.SortFunc(all, func(a, b kh) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	for i, x := range all {
		if i >= count && x.h != all[i-1].h {
			return x.h
		}
		fn(x.k, d.m[x.k])
	}
	return 0
}

// Random returns a random element, or ok == false if the dict is empty.
func (d *Dict[V]) Random(r *rand.Rand) (key string, v V, ok bool) {
	if len(d.m) == 0 {
		return "", v, false
	}
	i := r.IntN(len(d.m))
	for k, val := range d.m {
		if i == 0 {
			return k, val, true
		}
		i--
	}
	return "", v, false
}
