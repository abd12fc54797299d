package cache

import (
	"math"
	"strconv"
	"time"
)

// Pops (ZPOPMIN/MAX, ZMPOP and the blocking BZPOPMIN/MAX, BZMPOP), random
// members and ZSCAN.
//
// A blocking command's Run is its applied form: it runs when ExecBlocking
// found (or was woken for) data, inside MULTI or a script, and on replay. It
// never blocks; with nothing to pop it answers a null array, as Redis does
// on timeout and inside MULTI.

// zpopOpts shapes the reply of genericZpop as Redis's genericZpopCommand.
type zpopOpts struct {
	max     bool
	emitKey bool  // BZPOPMIN/MAX, ZMPOP: the key leads the reply
	count   int64 // -1: no COUNT given
	nested  bool  // [member, score] pairs
	nilNone bool  // a null array (not an empty one) when nothing is popped
}

func (c *Ctx) genericZpop(keys [][]byte, o zpopOpts) {
	var z *ZSet
	var e *entry
	var key []byte
	for _, k := range keys {
		zz, ee, ok := c.getZSet(k)
		if !ok {
			return
		}
		if zz != nil {
			z, e, key = zz, ee, k
			break
		}
	}
	if z == nil {
		if o.nilNone {
			c.W.NullArray()
		} else {
			c.W.Array(0)
		}
		return
	}
	if o.count == 0 {
		c.W.Array(0)
		return
	}
	n := int(min(max(o.count, 1), int64(z.Len())))
	switch {
	case !o.nested && !o.emitKey:
		c.W.Array(2 * n)
	case o.nested && !o.emitKey:
		c.W.Array(n)
	case !o.nested && o.emitKey:
		c.W.Array(2*n + 1)
		c.W.Bulk(key)
	default:
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Array(n)
	}
	c.modify(string(key), e)
	for i := 0; i < n; i++ {
		x := z.zsl.first()
		if o.max {
			x = z.zsl.tail
		}
		if o.nested {
			c.W.Array(2)
		}
		c.W.BulkString(x.member)
		c.W.Double(x.score)
		z.remove(x.member)
	}
	c.deleteIfEmpty(key, e)
}

// zpopCmd is ZPOPMIN and ZPOPMAX: a flat reply, except in RESP3 with COUNT.
func (c *Ctx) zpopCmd(a [][]byte, popMax bool) {
	if len(a) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(a) == 3 {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			c.W.Error(errPositive)
			return
		}
		count = n
	}
	c.genericZpop(a[1:2], zpopOpts{max: popMax, count: count, nested: c.W.Proto() > 2 && count != -1})
}

// bzpop is BZPOPMIN and BZPOPMAX: [key, member, score].
func (c *Ctx) bzpop(a [][]byte, popMax bool) {
	if _, errReply := lastTimeout(a); errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.genericZpop(a[1:len(a)-1], zpopOpts{max: popMax, emitKey: true, count: -1, nilNone: true})
}

type zmpopArgs struct {
	keys  [][]byte
	max   bool
	count int64
}

// parseZMPop parses "numkeys key... MIN|MAX [COUNT count]" from a[at].
func parseZMPop(a [][]byte, at int) (zmpopArgs, string) {
	var m zmpopArgs
	n, ok := parseInt(a[at])
	if !ok || n < 1 {
		return m, errNumKeys
	}
	if n >= int64(len(a)-at-1) { // no room for MIN|MAX after the keys
		return m, ErrSyntax
	}
	where := int64(at) + n + 1
	m.keys = a[at+1 : where]
	switch {
	case eqFold(a[where], "MIN"):
	case eqFold(a[where], "MAX"):
		m.max = true
	default:
		return m, ErrSyntax
	}
	m.count = -1
	for j := int(where) + 1; j < len(a); j++ {
		if m.count == -1 && eqFold(a[j], "COUNT") && j+1 < len(a) {
			j++
			v, ok := parseInt(a[j])
			if !ok || v < 1 {
				return m, errCountZero
			}
			m.count = v
			continue
		}
		return m, ErrSyntax
	}
	if m.count == -1 {
		m.count = 1
	}
	return m, ""
}

func (c *Ctx) zmpop(a [][]byte, at int) {
	m, errReply := parseZMPop(a, at)
	if errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.genericZpop(m.keys, zpopOpts{max: m.max, emitKey: true, count: m.count, nested: true, nilNone: true})
}

func cmdZMPop(c *Ctx, a [][]byte) { c.zmpop(a, 1) }

func cmdBZMPop(c *Ctx, a [][]byte) {
	if _, errReply := bzmpopTimeout(a); errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.zmpop(a, 2)
}

func bzmpopTimeout(a [][]byte) (time.Duration, string) {
	if _, errReply := parseZMPop(a, 2); errReply != "" {
		return 0, errReply
	}
	return parseTimeout(a[1], time.Now().UnixMilli())
}

// cmdZRandMember is ZRANDMEMBER key [count [WITHSCORES]]. A negative count
// may repeat members; a positive one returns distinct members.
func cmdZRandMember(c *Ctx, a [][]byte) {
	if len(a) == 2 {
		z, _, ok := c.getZSet(a[1])
		if !ok {
			return
		}
		if z == nil {
			c.W.Null()
			return
		}
		c.W.BulkString(z.zsl.byRank(1 + c.Rand().IntN(z.Len())).member)
		return
	}
	count, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if count == math.MinInt64 {
		c.W.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return
	}
	withScores := false
	if len(a) > 4 || (len(a) == 4 && !eqFold(a[3], "WITHSCORES")) {
		c.W.Error(ErrSyntax)
		return
	}
	if len(a) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.W.Error("ERR value is out of range")
			return
		}
	}
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.W.Array(0)
		return
	}
	size := z.Len()
	r := c.Rand()
	if count < 0 {
		bulks := 1
		if withScores {
			bulks = 2
		}
		// z.bytes also counts skiplist levels: an overestimate, on the
		// side of refusing a reply too big to build.
		if !randCountFits(c, uint64(-count), z.bytes, size, bulks) {
			return
		}
		c.zreplyHeader(int(-count), withScores)
		for i := int64(0); i < -count; i++ {
			n := z.zsl.byRank(1 + r.IntN(size))
			c.zreplyElem(n.member, n.score, withScores)
		}
		return
	}
	var ranks []int
	switch {
	case count >= int64(size):
		// The whole set, highest score first as Redis answers it.
		ranks = make([]int, size)
		for i := range ranks {
			ranks[i] = size - 1 - i
		}
	case count*3 > int64(size):
		// A large share: a partial Fisher–Yates shuffle of all ranks.
		all := make([]int, size)
		for i := range all {
			all[i] = i
		}
		for i := 0; i < int(count); i++ {
			j := i + r.IntN(size-i)
			all[i], all[j] = all[j], all[i]
		}
		ranks = all[:count]
	default:
		// A small share: random picks, skipping repeats, in pick order.
		seen := make(map[int]bool, count)
		for int64(len(ranks)) < count {
			if k := r.IntN(size); !seen[k] {
				seen[k] = true
				ranks = append(ranks, k)
			}
		}
	}
	c.zreplyHeader(len(ranks), withScores)
	for _, k := range ranks {
		n := z.zsl.byRank(k + 1)
		c.zreplyElem(n.member, n.score, withScores)
	}
}

// cmdZScan is ZSCAN key cursor [MATCH pattern] [COUNT count]. A set in the
// listpack encoding is returned whole with cursor 0, as Redis does.
func cmdZScan(c *Ctx, a [][]byte) {
	cursor, match, count, _, ok := parseScanArgs(c, a[2:])
	if !ok {
		return
	}
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	var out []string
	emit := func(m string, s float64) {
		if match == "*" || Glob(match, m, false) {
			if z.big {
				out = append(out, m, zscoreG(s))
			} else {
				out = append(out, m, zscoreString(s))
			}
		}
	}
	next := uint64(0)
	switch {
	case z == nil:
	case !z.big:
		for n := z.zsl.first(); n != nil; n = n.level[0].next {
			emit(n.member, n.score)
		}
	default:
		next = z.dict.Scan(cursor, count, func(m string, n *zNode) { emit(m, n.score) })
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(out))
	for _, s := range out {
		c.W.BulkString(s)
	}
}
