package coord

import (
	"slices"
	"sort"

	"go.etcd.io/etcd/api/v3/mvccpb"
)

// rec is one revision of one key: a put or a tombstone. Records are
// immutable once applied; the key history and the revision log share them.
type rec struct {
	key       string
	main, sub int64 // revision: main is the store revision, sub orders changes within it
	create    int64
	version   int64
	lease     int64
	value     []byte
	tomb      bool
	dead      bool // dropped by compaction; filtered out of the revision log
}

func (r *rec) less(o *rec) bool {
	return r.main < o.main || (r.main == o.main && r.sub < o.sub)
}

// kv returns a fresh KeyValue for r. Value aliases the stored bytes, which
// are never modified.
func (r *rec) kv() *mvccpb.KeyValue {
	if r.tomb {
		return &mvccpb.KeyValue{Key: []byte(r.key), ModRevision: r.main}
	}
	return &mvccpb.KeyValue{
		Key:            []byte(r.key),
		CreateRevision: r.create,
		ModRevision:    r.main,
		Version:        r.version,
		Value:          r.value,
		Lease:          r.lease,
	}
}

// keyHist is every kept revision of one key, oldest first.
type keyHist struct {
	key  string
	recs []*rec
}

// at returns the newest record with main revision ≤ rev, or nil.
func (h *keyHist) at(rev int64) *rec {
	i := sort.Search(len(h.recs), func(i int) bool { return h.recs[i].main > rev })
	if i == 0 {
		return nil
	}
	return h.recs[i-1]
}

func (h *keyHist) last() *rec {
	if len(h.recs) == 0 {
		return nil
	}
	return h.recs[len(h.recs)-1]
}

// before returns the live record that r replaced, if history still has it.
func (h *keyHist) before(r *rec) *rec {
	i := sort.Search(len(h.recs), func(i int) bool { return !h.recs[i].less(r) })
	if i == 0 || h.recs[i-1].tomb {
		return nil
	}
	return h.recs[i-1]
}

// compact drops the records superseded at revision c: everything older
// than the newest record ≤ c, and that record too when it is a tombstone
// (etcd's keyIndex.compact). It reports whether the history is now empty.
func (h *keyHist) compact(c int64) bool {
	i := sort.Search(len(h.recs), func(i int) bool { return h.recs[i].main > c }) - 1
	if i < 0 {
		return false
	}
	if !h.recs[i].tomb {
		i-- // keep the live record at c
	}
	for _, r := range h.recs[:i+1] {
		r.dead = true
	}
	h.recs = slices.Delete(h.recs, 0, i+1)
	return len(h.recs) == 0
}

// span is a key range as etcd's API gives it: range_end empty means the one
// key, "\x00" means every key ≥ key, otherwise [key, range_end).
type span struct {
	key, end string
	single   bool
	open     bool
}

func mkSpan(key, end []byte) span {
	switch {
	case len(end) == 0:
		return span{key: string(key), single: true}
	case len(end) == 1 && end[0] == 0:
		return span{key: string(key), open: true}
	}
	return span{key: string(key), end: string(end)}
}

func (sp span) contains(k string) bool {
	switch {
	case sp.single:
		return k == sp.key
	case sp.open:
		return k >= sp.key
	}
	return k >= sp.key && k < sp.end
}

// visit calls fn, in key order, with the live record of every key in sp at
// revision rev.
func (s *Store) visit(sp span, rev int64, fn func(*rec)) {
	if sp.single {
		if h := s.keys[sp.key]; h != nil {
			if r := h.at(rev); r != nil && !r.tomb {
				fn(r)
			}
		}
		return
	}
	s.index.walk(sp.key, func(h *keyHist) bool {
		if !sp.open && h.key >= sp.end {
			return false
		}
		if r := h.at(rev); r != nil && !r.tomb {
			fn(r)
		}
		return true
	})
}

// addRec appends r to its key's history and to the revision log.
func (s *Store) addRec(r *rec) {
	h := s.keys[r.key]
	if h == nil {
		h = &keyHist{key: r.key}
		s.keys[r.key] = h
		s.index.insert(h)
	}
	h.recs = append(h.recs, r)
	s.log = append(s.log, r)
}

// compactLocked physically removes history superseded at revision c.
func (s *Store) compactLocked(c int64) {
	s.index.filter(func(h *keyHist) bool {
		if h.compact(c) {
			delete(s.keys, h.key)
			return false
		}
		return true
	})
	// A new slice, never the old one edited in place: a Frozen snapshot
	// may still be reading the old one.
	n := 0
	for _, r := range s.log {
		if !r.dead {
			n++
		}
	}
	log := make([]*rec, 0, n)
	for _, r := range s.log {
		if !r.dead {
			log = append(log, r)
		}
	}
	s.log = log
	s.compactRev = c
}

// logFrom returns the index in the revision log of the first record with
// main revision ≥ rev.
func (s *Store) logFrom(rev int64) int {
	return sort.Search(len(s.log), func(i int) bool { return s.log[i].main >= rev })
}

// wtx is one write transaction: every change it makes gets main revision
// rev (the store's revision + 1) and increasing sub revisions. Changes go
// into the index at once, so later reads in the same txn see them; the
// store revision moves only at commit, and readers never run meanwhile
// (Apply holds the write lock).
type wtx struct {
	s       *Store
	rev     int64
	changes []*rec
}

func (s *Store) beginWrite() *wtx { return &wtx{s: s, rev: s.rev + 1} }

// readRev is the revision a read inside the txn sees.
func (tx *wtx) readRev() int64 {
	if len(tx.changes) > 0 {
		return tx.rev
	}
	return tx.s.rev
}

func (tx *wtx) put(key string, value []byte, leaseID int64) {
	s := tx.s
	var prev *rec
	if h := s.keys[key]; h != nil {
		prev = h.last()
	}
	r := &rec{key: key, main: tx.rev, sub: int64(len(tx.changes)), value: value, lease: leaseID, create: tx.rev, version: 1}
	if prev != nil && !prev.tomb {
		r.create = prev.create
		r.version = prev.version + 1
		if prev.lease != 0 {
			s.detach(prev.lease, key)
		}
	}
	if leaseID != 0 {
		s.attach(leaseID, key)
	}
	s.addRec(r)
	tx.changes = append(tx.changes, r)
}

// deleteRange tombstones every live key in sp and returns the records it
// replaced, in key order.
func (tx *wtx) deleteRange(sp span) []*rec {
	s := tx.s
	var prevs []*rec
	s.visit(sp, tx.readRev(), func(r *rec) { prevs = append(prevs, r) })
	for _, p := range prevs {
		if p.lease != 0 {
			s.detach(p.lease, p.key)
		}
		t := &rec{key: p.key, main: tx.rev, sub: int64(len(tx.changes)), tomb: true}
		s.addRec(t)
		tx.changes = append(tx.changes, t)
	}
	return prevs
}

// commit makes the txn's changes the current revision and feeds watchers.
func (tx *wtx) commit() {
	if len(tx.changes) == 0 {
		return
	}
	tx.s.rev = tx.rev
	tx.s.hub.notify(tx.s, tx.rev, tx.changes)
}
