package cache

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"
)

// ZSet is the value of a sorted-set key: a Dict from member to its skiplist
// node (for O(1) ZSCORE and O(log n) updates) plus the skiplist holding the
// order. Redis keeps small sets in a listpack instead; the only observable
// differences are OBJECT ENCODING and ZSCAN answering in one batch, so the
// structure is always the same here and big records the encoding Redis would
// report: listpack until a set holds more than zsetMaxListpackEntries members
// or a member longer than zsetMaxListpackValue bytes, then skiplist for good.
type ZSet struct {
	dict  *Dict[*zNode]
	zsl   skiplist
	bytes int64 // Σ len(member) + per-level node overhead, for MemSize
	big   bool
}

// zset-max-listpack-entries and zset-max-listpack-value (Redis defaults).
const (
	zsetMaxListpackEntries = 128
	zsetMaxListpackValue   = 64
)

// Memory estimates: the value's fixed part and each element's node, dict
// slot and level array.
const (
	zsetBaseSize    = 64 + zslMaxLevel*16
	zsetPerElem     = 96
	zsetPerLevelMem = int64(unsafe.Sizeof(zLevel{}))
)

var errZSetDecode = errors.New("cache: malformed sorted set")

func newZSet() *ZSet { return &ZSet{dict: NewDict[*zNode](0), zsl: newSkiplist()} }

// newZSetFor returns an empty set with the encoding Redis picks for one
// created to hold n members of at most maxLen bytes (zsetTypeCreate).
func newZSetFor(n, maxLen int) *ZSet {
	z := newZSet()
	z.big = n > zsetMaxListpackEntries || maxLen > zsetMaxListpackValue
	return z
}

// Len is the number of members.
func (z *ZSet) Len() int { return z.zsl.length }

// MemSize is O(1): a running estimate kept by add and remove.
func (z *ZSet) MemSize() int64 {
	return zsetBaseSize + z.bytes + int64(z.zsl.length)*zsetPerElem
}

// Encoding is what OBJECT ENCODING answers.
func (z *ZSet) Encoding() string {
	if z.big {
		return "skiplist"
	}
	return "listpack"
}

// score returns member's score.
func (z *ZSet) score(member string) (float64, bool) {
	n, ok := z.dict.Get(member)
	if !ok {
		return 0, false
	}
	return n.score, true
}

// add inserts a member that is not present.
func (z *ZSet) add(score float64, member string) {
	if !z.big && (z.zsl.length+1 > zsetMaxListpackEntries || len(member) > zsetMaxListpackValue) {
		z.big = true
	}
	n := z.zsl.insert(listpackScore(score, z.big), member)
	z.dict.Set(member, n)
	z.bytes += int64(len(member)) + int64(len(n.level))*zsetPerLevelMem
}

// setScore changes the score of the member held by node n.
func (z *ZSet) setScore(n *zNode, score float64) {
	score = listpackScore(score, z.big)
	if m := z.zsl.updateScore(n, score); m != n {
		z.bytes += int64(len(m.level)-len(n.level)) * zsetPerLevelMem
		z.dict.Set(m.member, m)
	}
}

// listpackScore is the score a listpack would give back: Redis stores it
// as text (d2string), which writes -0 as 0. A skiplist keeps -0.
func listpackScore(score float64, big bool) float64 {
	if !big && score == 0 {
		return 0
	}
	return score
}

// remove deletes member and reports whether it was present.
func (z *ZSet) remove(member string) bool {
	n, ok := z.dict.Delete(member)
	if !ok {
		return false
	}
	z.zsl.remove(n.score, n.member)
	z.bytes -= int64(len(n.member)) + int64(len(n.level))*zsetPerLevelMem
	return true
}

// zaddFlags are ZADD's options.
type zaddFlags struct{ nx, xx, gt, lt, incr bool }

// zadd outcomes, as Redis's ZADD_OUT_* flags.
const (
	zaddNop = iota
	zaddAdded
	zaddUpdated
	zaddSame // processed, score unchanged
	zaddNaN
)

// zadd is Redis's zsetAdd: it applies one score/member pair under the
// options and returns the outcome and the member's resulting score. before
// is called once before the first change, so the caller can call modify.
func (z *ZSet) zadd(score float64, member string, f zaddFlags, before func()) (int, float64) {
	if n, ok := z.dict.Get(member); ok {
		if f.nx {
			return zaddNop, 0
		}
		cur := n.score
		if f.incr {
			score += cur
			if math.IsNaN(score) {
				return zaddNaN, 0
			}
		}
		if (f.lt && score >= cur) || (f.gt && score <= cur) {
			return zaddNop, 0
		}
		if score == cur {
			return zaddSame, score
		}
		before()
		z.setScore(n, score)
		return zaddUpdated, score
	}
	if f.xx {
		return zaddNop, 0
	}
	before()
	z.add(score, member)
	return zaddAdded, score
}

// Clone returns a deep copy with the same encoding.
func (z *ZSet) Clone() Aggregate {
	c := newZSet()
	c.big = z.big
	for n := z.zsl.first(); n != nil; n = n.level[0].next {
		c.add(n.score, n.member)
	}
	c.big = z.big
	return c
}

// Serialized form: big u8 | count | (member, score as IEEE bits u64 LE) in
// order. The encoding flag is kept so OBJECT ENCODING and ZSCAN answer the
// same after a restart as before.
func (z *ZSet) AppendBinary(b []byte) []byte {
	if z.big {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(z.zsl.length))
	for n := z.zsl.first(); n != nil; n = n.level[0].next {
		b = AppendString(b, n.member)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(n.score))
	}
	return b
}

func decodeZSet(b []byte) (Aggregate, error) {
	if len(b) < 1 || b[0] > 1 {
		return nil, errZSetDecode
	}
	d := &Decoder{B: b[1:]}
	n := d.Count(9) // a member takes at least its length byte and 8 score bytes
	z := newZSet()
	z.big = b[0] == 1 // before adding: a skiplist keeps -0
	for i := 0; i < n && d.Err == nil; i++ {
		m := d.String()
		s := math.Float64frombits(d.Uint64())
		if d.Err != nil {
			break
		}
		if math.IsNaN(s) {
			return nil, errZSetDecode
		}
		if _, dup := z.dict.Get(m); dup {
			return nil, errZSetDecode
		}
		z.add(s, m)
	}
	if d.Err != nil {
		return nil, errors.Join(errZSetDecode, d.Err)
	}
	if len(d.B) != 0 {
		return nil, errZSetDecode
	}
	z.big = b[0] == 1
	return z, nil
}

func init() { decoders[KindZSet] = decodeZSet }
