package cache

import (
	"math"
	"strings"
)

// Range kinds and directions of ZRANGE and its older forms.
const (
	zrAuto = iota
	zrRank
	zrScore
	zrLex
)

const (
	dirAuto = iota
	dirFwd
	dirRev
)

// scoreRange is a score interval; "(" makes a bound exclusive.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

func (r scoreRange) empty() bool {
	return r.min > r.max || (r.min == r.max && (r.minex || r.maxex))
}

func (r scoreRange) gteMin(n *zNode) bool {
	if r.minex {
		return n.score > r.min
	}
	return n.score >= r.min
}

func (r scoreRange) lteMax(n *zNode) bool {
	if r.maxex {
		return n.score < r.max
	}
	return n.score <= r.max
}

// parseScoreBound parses one end of a score range as Redis's strtod-based
// zslParseRangeItem: "(" for exclusive, leading blanks allowed, the empty
// string meaning 0, overflow to ±inf allowed, NaN refused.
func parseScoreBound(b []byte) (v float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	f, _, ok := strtod(s)
	if !ok || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// lexBound is one end of a lex range: inf -1 for "-", +1 for "+".
type lexBound struct {
	s   string
	inf int8
	ex  bool
}

type lexRange struct{ min, max lexBound }

func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) != 1 {
			return lexBound{}, false
		}
		if b[0] == '+' {
			return lexBound{inf: 1, ex: true}, true
		}
		return lexBound{inf: -1, ex: true}, true
	case '(':
		return lexBound{s: string(b[1:]), ex: true}, true
	case '[':
		return lexBound{s: string(b[1:])}, true
	}
	return lexBound{}, false
}

// cmpLexBounds orders bounds with "-" below and "+" above every string.
func cmpLexBounds(a, b lexBound) int {
	switch {
	case a.inf == b.inf && a.inf != 0:
		return 0
	case a.inf == -1 || b.inf == 1:
		return -1
	case a.inf == 1 || b.inf == -1:
		return 1
	}
	return strings.Compare(a.s, b.s)
}

func (r lexRange) empty() bool {
	c := cmpLexBounds(r.min, r.max)
	return c > 0 || (c == 0 && (r.min.ex || r.max.ex))
}

func (r lexRange) gteMin(n *zNode) bool {
	switch r.min.inf {
	case -1:
		return true
	case 1:
		return false
	}
	if r.min.ex {
		return n.member > r.min.s
	}
	return n.member >= r.min.s
}

func (r lexRange) lteMax(n *zNode) bool {
	switch r.max.inf {
	case 1:
		return true
	case -1:
		return false
	}
	if r.max.ex {
		return n.member < r.max.s
	}
	return n.member <= r.max.s
}

// parseRangeSpec parses a score (zrScore) or lex (zrLex) range, replying
// Redis's error when it is malformed.
func (c *Ctx) parseRangeSpec(minArg, maxArg []byte, kind int) (zrangeSpec, bool) {
	if kind == zrLex {
		lo, ok1 := parseLexBound(minArg)
		hi, ok2 := parseLexBound(maxArg)
		if !ok1 || !ok2 {
			c.W.Error(ErrMinMaxLex)
			return nil, false
		}
		return lexRange{lo, hi}, true
	}
	var r scoreRange
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseScoreBound(minArg)
	r.max, r.maxex, ok2 = parseScoreBound(maxArg)
	if !ok1 || !ok2 {
		c.W.Error(ErrMinMaxFloat)
		return nil, false
	}
	return r, true
}

// rankRange clamps ZRANGE-style indexes (negative: from the end) to a set
// of n elements; ok is false when the range is empty.
func rankRange(start, end int64, n int) (int, int, bool) {
	l := int64(n)
	if start < 0 {
		start += l
	}
	if end < 0 {
		end += l
	}
	start = max(start, 0)
	if start > end || start >= l {
		return 0, 0, false
	}
	return int(start), int(min(end, l-1)), true
}

// zrangeGeneric is ZRANGE, ZRANGESTORE and the older forms (Redis's
// zrangeGenericCommand). keyAt is the position of the source key; kind
// and dir are fixed by the older forms and chosen by options otherwise.
func (c *Ctx) zrangeGeneric(a [][]byte, keyAt int, store bool, kind, dir int) {
	withScores := false
	offset, limit := int64(0), int64(-1)
	hasLimit := false
	for j := keyAt + 3; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case !store && eqFold(a[j], "WITHSCORES"):
			withScores = true
		case eqFold(a[j], "LIMIT") && left >= 2:
			o, ok1 := parseInt(a[j+1])
			n, ok2 := parseInt(a[j+2])
			if !ok1 || !ok2 {
				c.W.Error(ErrNotInt)
				return
			}
			offset, limit, hasLimit = o, n, true
			j += 2
		case dir == dirAuto && eqFold(a[j], "REV"):
			dir = dirRev
		case kind == zrAuto && eqFold(a[j], "BYLEX"):
			kind = zrLex
		case kind == zrAuto && eqFold(a[j], "BYSCORE"):
			kind = zrScore
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if dir == dirAuto {
		dir = dirFwd
	}
	if kind == zrAuto {
		kind = zrRank
	}
	if hasLimit && kind == zrRank {
		c.W.Error(errZRangeLim)
		return
	}
	if withScores && kind == zrLex {
		c.W.Error(errZLexScores)
		return
	}
	rev := dir == dirRev
	minArg, maxArg := a[keyAt+1], a[keyAt+2]
	if rev && kind != zrRank {
		minArg, maxArg = maxArg, minArg // given as max, min
	}
	var start, end int64
	var spec zrangeSpec
	if kind == zrRank {
		var ok1, ok2 bool
		start, ok1 = parseInt(minArg)
		end, ok2 = parseInt(maxArg)
		if !ok1 || !ok2 {
			c.W.Error(ErrNotInt)
			return
		}
	} else {
		var ok bool
		if spec, ok = c.parseRangeSpec(minArg, maxArg, kind); !ok {
			return
		}
	}
	z, _, ok := c.getZSet(a[keyAt])
	if !ok {
		return
	}
	var nodes []*zNode
	if z != nil {
		if kind == zrRank {
			nodes = z.rankNodes(start, end, rev)
		} else {
			nodes = z.specNodes(spec, rev, offset, limit)
		}
	}
	if store {
		c.storeNodes(a[1], nodes)
		return
	}
	c.zreplyHeader(len(nodes), withScores)
	for _, n := range nodes {
		c.zreplyElem(n.member, n.score, withScores)
	}
}

// rankNodes returns the elements of ranks [start, end], counted from the
// highest score if rev.
func (z *ZSet) rankNodes(start, end int64, rev bool) []*zNode {
	s, e, ok := rankRange(start, end, z.Len())
	if !ok {
		return nil
	}
	out := make([]*zNode, 0, e-s+1)
	if rev {
		for n := z.zsl.byRank(z.Len() - s); n != nil && len(out) < cap(out); n = n.back {
			out = append(out, n)
		}
		return out
	}
	for n := z.zsl.byRank(s + 1); n != nil && len(out) < cap(out); n = n.level[0].next {
		out = append(out, n)
	}
	return out
}

// specNodes returns the elements inside r, skipping offset of them and
// taking at most limit (negative: all). A negative offset gives nothing,
// as in Redis.
func (z *ZSet) specNodes(r zrangeSpec, rev bool, offset, limit int64) []*zNode {
	if offset < 0 || (offset > 0 && offset >= int64(z.Len())) {
		return nil
	}
	var n *zNode
	if rev {
		n = z.zsl.lastIn(r)
	} else {
		n = z.zsl.firstIn(r)
	}
	step := func(x *zNode) *zNode {
		if rev {
			return x.back
		}
		return x.level[0].next
	}
	for ; n != nil && offset > 0; offset-- {
		n = step(n)
	}
	var out []*zNode
	for ; n != nil && limit != 0; limit-- {
		if (rev && !r.gteMin(n)) || (!rev && !r.lteMax(n)) {
			break
		}
		out = append(out, n)
		n = step(n)
	}
	return out
}

// storeNodes replaces dst with a sorted set of the given elements (or
// deletes it when there are none) and replies with the count.
func (c *Ctx) storeNodes(dst []byte, nodes []*zNode) {
	if len(nodes) == 0 {
		c.del(dst)
		c.W.Int(0)
		return
	}
	maxLen := 0
	for _, n := range nodes {
		maxLen = max(maxLen, len(n.member))
	}
	z := newZSetFor(len(nodes), maxLen)
	for _, n := range nodes {
		z.add(n.score, n.member)
	}
	c.add(string(dst), &entry{kind: KindZSet, obj: z})
	c.signalReady(dst)
	c.W.Int(int64(len(nodes)))
}

// zremrange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func (c *Ctx) zremrange(a [][]byte, kind int) {
	var start, end int64
	var spec zrangeSpec
	if kind == zrRank {
		var ok1, ok2 bool
		start, ok1 = parseInt(a[2])
		end, ok2 = parseInt(a[3])
		if !ok1 || !ok2 {
			c.W.Error(ErrNotInt)
			return
		}
	} else {
		var ok bool
		if spec, ok = c.parseRangeSpec(a[2], a[3], kind); !ok {
			return
		}
	}
	z, e, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var nodes []*zNode
	if kind == zrRank {
		nodes = z.rankNodes(start, end, false)
	} else {
		nodes = z.specNodes(spec, false, 0, -1)
	}
	if len(nodes) > 0 {
		c.modify(string(a[1]), e)
		for _, n := range nodes {
			z.remove(n.member)
		}
		c.deleteIfEmpty(a[1], e)
	}
	c.W.Int(int64(len(nodes)))
}
