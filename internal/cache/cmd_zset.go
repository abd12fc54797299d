package cache

import (
	"math"
	"strconv"
	"strings"
)

// Sorted-set commands: the table, and the single-member commands. Ranges
// are in cmd_zset_range.go, the set algebra in cmd_zset_store.go, pops,
// random members and ZSCAN in cmd_zset_pop.go.
func zsetCommands() []*Command {
	const (
		w    = FlagWrite
		ro   = FlagReadOnly
		fast = FlagFast
		oom  = FlagDenyOOM
		blk  = FlagWrite | FlagBlocking
	)
	one := func(name string, arity int, flags Flag, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: "sortedset", Run: run}
	}
	cmds := []*Command{
		one("zadd", -4, w|oom|fast, func(c *Ctx, a [][]byte) { c.zaddGeneric(a, false) }),
		one("zincrby", 4, w|oom|fast, func(c *Ctx, a [][]byte) { c.zaddGeneric(a, true) }),
		one("zrem", -3, w|fast, cmdZRem),
		one("zcard", 2, ro|fast, cmdCardinality(KindZSet)),
		one("zscore", 3, ro|fast, cmdZScore),
		one("zmscore", -3, ro|fast, cmdZMScore),
		one("zrank", 3, ro|fast, func(c *Ctx, a [][]byte) { c.zrank(a, false) }),
		one("zrevrank", 3, ro|fast, func(c *Ctx, a [][]byte) { c.zrank(a, true) }),
		one("zcount", 4, ro|fast, func(c *Ctx, a [][]byte) { c.zcount(a, zrScore) }),
		one("zlexcount", 4, ro|fast, func(c *Ctx, a [][]byte) { c.zcount(a, zrLex) }),
		one("zrange", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrAuto, dirAuto) }),
		one("zrevrange", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrRank, dirRev) }),
		one("zrangebyscore", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrScore, dirFwd) }),
		one("zrevrangebyscore", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrScore, dirRev) }),
		one("zrangebylex", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrLex, dirFwd) }),
		one("zrevrangebylex", -4, ro, func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 1, false, zrLex, dirRev) }),
		{Name: "zrangestore", Arity: -5, Flags: w | oom, FirstKey: 1, LastKey: 2, Step: 1, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zrangeGeneric(a, 2, true, zrAuto, dirAuto) }},
		one("zremrangebyrank", 4, w, func(c *Ctx, a [][]byte) { c.zremrange(a, zrRank) }),
		one("zremrangebyscore", 4, w, func(c *Ctx, a [][]byte) { c.zremrange(a, zrScore) }),
		one("zremrangebylex", 4, w, func(c *Ctx, a [][]byte) { c.zremrange(a, zrLex) }),
		one("zpopmin", -2, w|fast, func(c *Ctx, a [][]byte) { c.zpopCmd(a, false) }),
		one("zpopmax", -2, w|fast, func(c *Ctx, a [][]byte) { c.zpopCmd(a, true) }),
		{Name: "zmpop", Arity: -4, Flags: w, KeysFn: mpopKeys(1), Group: "sortedset", Run: cmdZMPop},
		{Name: "bzpopmin", Arity: -3, Flags: blk | fast, FirstKey: 1, LastKey: -2, Step: 1, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.bzpop(a, false) }, BlockTimeout: lastTimeout, BlockKind: KindZSet},
		{Name: "bzpopmax", Arity: -3, Flags: blk | fast, FirstKey: 1, LastKey: -2, Step: 1, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.bzpop(a, true) }, BlockTimeout: lastTimeout, BlockKind: KindZSet},
		{Name: "bzmpop", Arity: -5, Flags: blk, KeysFn: mpopKeys(2), Group: "sortedset", Run: cmdBZMPop, BlockTimeout: bzmpopTimeout, BlockKind: KindZSet},
		one("zrandmember", -2, ro|FlagRandom, cmdZRandMember),
		one("zscan", -3, ro|FlagRandom, cmdZScan),
		{Name: "zunion", Arity: -3, Flags: ro, KeysFn: mpopKeys(1), Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 1, nil, opUnion, false) }},
		{Name: "zinter", Arity: -3, Flags: ro, KeysFn: mpopKeys(1), Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 1, nil, opInter, false) }},
		{Name: "zdiff", Arity: -3, Flags: ro, KeysFn: mpopKeys(1), Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 1, nil, opDiff, false) }},
		{Name: "zintercard", Arity: -3, Flags: ro, KeysFn: mpopKeys(1), Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 1, nil, opInter, true) }},
		{Name: "zunionstore", Arity: -4, Flags: w | oom, KeysFn: storeKeys, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 2, a[1], opUnion, false) }},
		{Name: "zinterstore", Arity: -4, Flags: w | oom, KeysFn: storeKeys, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 2, a[1], opInter, false) }},
		{Name: "zdiffstore", Arity: -4, Flags: w | oom, KeysFn: storeKeys, Group: "sortedset",
			Run: func(c *Ctx, a [][]byte) { c.zsetOp(a, 2, a[1], opDiff, false) }},
	}
	return cmds
}

// Error texts of the sorted-set commands, as Redis 7.0 words them.
const (
	errZNaN       = "ERR resulting score is not a number (NaN)"
	errZXXNX      = "ERR XX and NX options at the same time are not compatible"
	errZGTLTNX    = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZIncrPair  = "ERR INCR option supports a single increment-element pair"
	errZWeight    = "ERR weight value is not a float"
	errZLimitNeg  = "ERR LIMIT can't be negative"
	errZRangeLim  = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZLexScores = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
)

// getZSet returns the sorted set under key (nil if there is none); ok is
// false after a WRONGTYPE reply.
func (c *Ctx) getZSet(key []byte) (*ZSet, *entry, bool) {
	e, ok := c.lookupKind(key, KindZSet)
	if !ok || e == nil {
		return nil, nil, ok
	}
	return e.obj.(*ZSet), e, true
}

// zaddGeneric is ZADD, and ZINCRBY as ZADD with INCR (so ZINCRBY shares
// ZADD's parsing quirks, as in Redis).
func (c *Ctx) zaddGeneric(a [][]byte, incr bool) {
	var f zaddFlags
	f.incr = incr
	ch := false
	i := 2
parse:
	for ; i < len(a); i++ {
		switch {
		case eqFold(a[i], "NX"):
			f.nx = true
		case eqFold(a[i], "XX"):
			f.xx = true
		case eqFold(a[i], "CH"):
			ch = true
		case eqFold(a[i], "INCR"):
			f.incr = true
		case eqFold(a[i], "GT"):
			f.gt = true
		case eqFold(a[i], "LT"):
			f.lt = true
		default:
			break parse
		}
	}
	pairs := len(a) - i
	if pairs%2 != 0 || pairs == 0 {
		c.W.Error(ErrSyntax)
		return
	}
	pairs /= 2
	switch {
	case f.nx && f.xx:
		c.W.Error(errZXXNX)
		return
	case (f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt):
		c.W.Error(errZGTLTNX)
		return
	case f.incr && pairs > 1:
		c.W.Error(errZIncrPair)
		return
	}
	// Every score is parsed before anything changes: ZADD is all or nothing.
	scores := make([]float64, pairs)
	maxLen := 0
	for j := range scores {
		s, ok := parseZScore(a[i+2*j])
		if !ok {
			c.W.Error(ErrNotFloat)
			return
		}
		scores[j] = s
		maxLen = max(maxLen, len(a[i+2*j+1]))
	}
	key := a[1]
	z, e, ok := c.getZSet(key)
	if !ok {
		return
	}
	var added, updated, processed int64
	var score float64
	if z == nil && !f.xx {
		z = newZSetFor(pairs, maxLen)
		e = &entry{kind: KindZSet, obj: z}
		c.add(string(key), e)
	}
	if z != nil {
		modified := false
		before := func() {
			if !modified {
				c.modify(string(key), e)
				modified = true
			}
		}
		for j, s := range scores {
			out, ns := z.zadd(s, string(a[i+2*j+1]), f, before)
			switch out {
			case zaddNaN:
				c.deleteIfEmpty(key, e)
				c.W.Error(errZNaN)
				return
			case zaddAdded:
				added++
			case zaddUpdated:
				updated++
			}
			if out != zaddNop {
				processed++
				score = ns
			}
		}
		if added > 0 {
			c.signalReady(key)
		}
		c.deleteIfEmpty(key, e) // XX/NX on a new key can leave it empty
	}
	switch {
	case f.incr && processed > 0:
		c.W.Double(score)
	case f.incr:
		c.W.Null()
	case ch:
		c.W.Int(added + updated)
	default:
		c.W.Int(added)
	}
}

func cmdZRem(c *Ctx, a [][]byte) {
	z, e, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var n int64
	for _, m := range a[2:] {
		if _, has := z.dict.Get(string(m)); has {
			if n == 0 {
				c.modify(string(a[1]), e)
			}
			z.remove(string(m))
			n++
		}
	}
	c.deleteIfEmpty(a[1], e)
	c.W.Int(n)
}

func cmdZScore(c *Ctx, a [][]byte) {
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z != nil {
		if s, has := z.score(string(a[2])); has {
			c.W.Double(s)
			return
		}
	}
	c.W.Null()
}

func cmdZMScore(c *Ctx, a [][]byte) {
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	c.W.Array(len(a) - 2)
	for _, m := range a[2:] {
		if z != nil {
			if s, has := z.score(string(m)); has {
				c.W.Double(s)
				continue
			}
		}
		c.W.Null()
	}
}

func (c *Ctx) zrank(a [][]byte, rev bool) {
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	n, has := z.dict.Get(string(a[2]))
	if !has {
		c.W.Null()
		return
	}
	r := z.zsl.rank(n.score, n.member)
	if rev {
		c.W.Int(int64(z.Len() - r))
	} else {
		c.W.Int(int64(r - 1))
	}
}

// zcount is ZCOUNT and ZLEXCOUNT: the range is parsed before the key is
// looked up, so a bad range is an error even for a missing key.
func (c *Ctx) zcount(a [][]byte, kind int) {
	r, ok := c.parseRangeSpec(a[2], a[3], kind)
	if !ok {
		return
	}
	z, _, ok := c.getZSet(a[1])
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.countIn(r)))
}

// countIn is the number of elements inside r, from the ranks of its ends.
func (z *ZSet) countIn(r zrangeSpec) int {
	first := z.zsl.firstIn(r)
	if first == nil {
		return 0
	}
	last := z.zsl.lastIn(r)
	return z.zsl.rank(last.score, last.member) - z.zsl.rank(first.score, first.member) + 1
}

// zreplyHeader announces n elements of a member list, paired with their
// scores if withScores: a flat array in RESP2, [member, score] pairs in RESP3.
func (c *Ctx) zreplyHeader(n int, withScores bool) {
	if withScores && c.W.Proto() == 2 {
		c.W.Array(2 * n)
	} else {
		c.W.Array(n)
	}
}

func (c *Ctx) zreplyElem(member string, score float64, withScores bool) {
	if withScores && c.W.Proto() > 2 {
		c.W.Array(2)
	}
	c.W.BulkString(member)
	if withScores {
		c.W.Double(score)
	}
}

// zscoreString formats a score as Redis 7.0's d2string does when it stores
// it in a listpack (which ZSCAN then returns as is): integers within
// ±LLONG_MAX/2 in full (so -0 becomes 0), others with 17 significant digits.
func zscoreString(f float64) string {
	const lim = float64(math.MaxInt64 / 2)
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f >= -lim && f <= lim && f == math.Trunc(f):
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// zscoreG formats a score as ZSCAN does for a skiplist-encoded set: %.17g,
// -0 included.
func zscoreG(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// strtod parses s as C's strtod must consume it whole: decimal or hex
// (with or without a binary exponent), inf, infinity, nan. It refuses what
// strtod would stop short of, such as Go's digit separators. erange is
// strtod's ERANGE: an overflow to ±inf or an underflow to zero.
func strtod(s string) (f float64, erange, ok bool) {
	body := s
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		f = math.Inf(1)
		if s[0] == '-' {
			f = math.Inf(-1)
		}
		return f, false, true
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	digits, isDigit, expCh := body, isDecDigit, byte('e')
	if hex {
		digits, isDigit, expCh = body[2:], isHexDigit, 'p'
	}
	// mantissa: digits, an optional point, digits; at least one digit
	i, nd, nonzero := 0, 0, false
	for pass := 0; pass < 2; pass++ {
		for i < len(digits) && isDigit(digits[i]) {
			nonzero = nonzero || digits[i] != '0'
			i++
			nd++
		}
		if pass == 0 && i < len(digits) && digits[i] == '.' {
			i++
		} else {
			break
		}
	}
	if nd == 0 {
		return 0, false, false
	}
	hasExp := false
	if i < len(digits) && (digits[i]|0x20) == expCh {
		j := i + 1
		if j < len(digits) && (digits[j] == '+' || digits[j] == '-') {
			j++
		}
		k := j
		for k < len(digits) && isDecDigit(digits[k]) {
			k++
		}
		if k == j {
			return 0, false, false // strtod would stop before the exponent
		}
		i, hasExp = k, true
	}
	if i != len(digits) {
		return 0, false, false
	}
	if hex && !hasExp {
		s += "p0" // Go wants a binary exponent on hex mantissas; strtod does not
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); !isNum || ne.Err != strconv.ErrRange {
			return 0, false, false
		}
		return f, true, true
	}
	return f, f == 0 && nonzero, true
}

func isDecDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDecDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }

// parseZScore parses a score or weight as Redis's getDoubleFromObject: the
// whole argument, no leading blank, no overflow or underflow to zero, no NaN.
func parseZScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, erange, ok := strtod(string(b))
	if !ok || math.IsNaN(f) || (erange && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}
