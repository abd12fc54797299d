package cache

import (
	"sync/atomic"
)

// Kind is a value's Redis type.
type Kind uint8

const (
	KindNone Kind = iota
	KindString
	KindList
	KindHash
	KindSet
	KindZSet
)

// String is the name TYPE answers.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindHash:
		return "hash"
	case KindSet:
		return "set"
	case KindZSet:
		return "zset"
	}
	return "none"
}

// Aggregate is implemented by the list, hash, set and sorted-set values.
// MemSize must be O(1): the keyspace calls it around every write to keep
// used_memory exact without walking values.
type Aggregate interface {
	MemSize() int64
	Len() int
	Clone() Aggregate
	Encoding() string // OBJECT ENCODING
	// AppendBinary appends the value's serialized form (see value_codec.go);
	// the decoder for each kind is registered in decoders.
	AppendBinary(b []byte) []byte
}

// entry is one key's value and metadata.
type entry struct {
	str  []byte    // KindString
	obj  Aggregate // the other kinds
	exp  int64     // absolute expiry, unix ms; 0 = persistent
	ver  uint64    // bumped on every modification (WATCH)
	hits atomic.Uint32
	// access is the LRU clock (seconds) of the last access; hits (above) is
	// the LFU counter. Both are advisory and updated by reads under the
	// read lock, hence atomic.
	access atomic.Uint32
	snap   uint32 // the snapshot generation that has captured this entry
	kind   Kind
}

// Kind reports the entry's type.
func (e *entry) Kind() Kind { return e.kind }

const entryOverhead = 96 // map slot, key header, entry struct: measured, see memory_test.go

// memSize estimates the bytes the entry holds, excluding its key.
func (e *entry) memSize() int64 {
	if e.kind == KindString {
		return int64(cap(e.str)) + entryOverhead
	}
	if e.obj == nil {
		return entryOverhead
	}
	return e.obj.MemSize() + entryOverhead
}

// db is one of the 16 numbered databases.
type db struct {
	id       int
	keys     *Dict[*entry]
	volatile *Dict[*entry] // the keys with a TTL, for active expiry sampling
	// epoch is bumped by FLUSHDB/FLUSHALL/SWAPDB so that WATCH sees them.
	epoch uint64
}

func newDB(id int) *db {
	return &db{id: id, keys: NewDict[*entry](0), volatile: NewDict[*entry](0)}
}

// NumDBs is the number of databases of a standalone node.
const NumDBs = 16

// Keyspace is the cache's state: sixteen databases changed only by applied
// commands. All access goes through the Engine's lock.
type Keyspace struct {
	dbs  [NumDBs]*db
	ver  uint64 // last version handed out
	used int64  // estimated bytes of keys and values
	snap *snapState
}

func newKeyspace() *Keyspace {
	ks := &Keyspace{}
	for i := range ks.dbs {
		ks.dbs[i] = newDB(i)
	}
	return ks
}

func (ks *Keyspace) nextVer() uint64 { ks.ver++; return ks.ver }

// peek returns the entry under key without regard to expiry.
func (d *db) peek(key string) *entry {
	e, _ := d.keys.Get(key)
	return e
}
