package cache

import (
	"cmp"
	"math"
	"slices"
)

// The sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD. Plain sets are accepted as inputs, every member scoring 1.

const (
	opUnion = iota
	opInter
	opDiff
)

const (
	aggSum = iota
	aggMin
	aggMax
)

// storeKeys locates the keys of ZUNIONSTORE and friends: the destination,
// then numkeys sources.
func storeKeys(a [][]byte) []int {
	src := mpopKeys(2)(a)
	if src == nil {
		return nil
	}
	return append([]int{1}, src...)
}

// zsrc is one input: a sorted set or a set (either nil if the key is missing).
type zsrc struct {
	z      *ZSet
	s      *Set
	weight float64
}

func (s *zsrc) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

func (s *zsrc) score(m string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.score(m)
	case s.s != nil:
		return 1, s.s.Has(m)
	}
	return 0, false
}

func (s *zsrc) each(fn func(m string, score float64)) {
	switch {
	case s.z != nil:
		for n := s.z.zsl.first(); n != nil; n = n.level[0].next {
			fn(n.member, n.score)
		}
	case s.s != nil:
		s.s.Each(func(m string) bool { fn(m, 1); return true })
	}
}

// weighted is an input score times its weight; inf × 0 counts as 0, as in Redis.
func weighted(w, s float64) float64 {
	if v := w * s; !math.IsNaN(v) {
		return v
	}
	return 0
}

func aggregate(agg int, acc, v float64) float64 {
	switch agg {
	case aggMin:
		return min(acc, v)
	case aggMax:
		return max(acc, v)
	}
	if s := acc + v; !math.IsNaN(s) {
		return s
	}
	return 0 // inf + -inf: Redis's convention
}

type zpair struct {
	member string
	score  float64
}

// zsetOp is Redis's zunionInterDiffGenericCommand: numAt is the position of
// numkeys; dst is the destination of the STORE forms (nil otherwise); card
// makes it ZINTERCARD.
func (c *Ctx) zsetOp(a [][]byte, numAt int, dst []byte, op int, card bool) {
	n, ok := parseInt(a[numAt])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if n < 1 {
		c.W.Error("ERR at least 1 input key is needed for '" + string(lowerASCII(a[0])) + "' command")
		return
	}
	if n > int64(len(a)-numAt-1) {
		c.W.Error(ErrSyntax)
		return
	}
	srcs := make([]zsrc, n)
	j := numAt + 1
	for i := range srcs {
		srcs[i].weight = 1
		ent := c.lookup(a[j])
		j++
		if ent == nil {
			continue
		}
		switch ent.kind {
		case KindZSet:
			srcs[i].z = ent.obj.(*ZSet)
		case KindSet:
			srcs[i].s = ent.obj.(*Set)
		default:
			c.W.Error(ErrWrongType)
			return
		}
	}
	agg, withScores, limit := aggSum, false, int64(0)
	for j < len(a) {
		left := len(a) - j
		switch {
		case op != opDiff && !card && left >= len(srcs)+1 && eqFold(a[j], "WEIGHTS"):
			j++
			for i := range srcs {
				w, ok := parseZScore(a[j])
				if !ok {
					c.W.Error(errZWeight)
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != opDiff && !card && left >= 2 && eqFold(a[j], "AGGREGATE"):
			switch v := a[j+1]; {
			case eqFold(v, "SUM"):
				agg = aggSum
			case eqFold(v, "MIN"):
				agg = aggMin
			case eqFold(v, "MAX"):
				agg = aggMax
			default:
				c.W.Error(ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !card && eqFold(a[j], "WITHSCORES"):
			withScores = true
			j++
		case card && left >= 2 && eqFold(a[j], "LIMIT"):
			l, ok := parseInt(a[j+1])
			if !ok || l < 0 {
				c.W.Error(errZLimitNeg)
				return
			}
			limit = l
			j += 2
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if card {
		c.W.Int(zinterCard(srcs, limit))
		return
	}
	var res []zpair
	switch op {
	case opUnion:
		res = zunion(srcs, agg)
	case opInter:
		res = zinter(srcs, agg)
	default:
		res = zdiff(srcs)
	}
	slices.SortFunc(res, func(x, y zpair) int {
		if c := cmp.Compare(x.score, y.score); c != 0 {
			return c
		}
		return cmp.Compare(x.member, y.member)
	})
	if dst != nil {
		c.storePairs(dst, res)
		return
	}
	c.zreplyHeader(len(res), withScores)
	for _, p := range res {
		c.zreplyElem(p.member, p.score, withScores)
	}
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, ch := range b {
		out[i] = lower(ch)
	}
	return out
}

// bySize orders the inputs smallest first (stable, so equal sizes keep
// argument order and results stay a function of the arguments).
func bySize(srcs []zsrc) []zsrc {
	s := slices.Clone(srcs)
	slices.SortStableFunc(s, func(x, y zsrc) int { return cmp.Compare(x.len(), y.len()) })
	return s
}

func zunion(srcs []zsrc, agg int) []zpair {
	idx := map[string]int{}
	var out []zpair
	for _, s := range bySize(srcs) {
		s.each(func(m string, sc float64) {
			v := weighted(s.weight, sc)
			if i, ok := idx[m]; ok {
				out[i].score = aggregate(agg, out[i].score, v)
				return
			}
			idx[m] = len(out)
			out = append(out, zpair{m, v})
		})
	}
	return out
}

func zinter(srcs []zsrc, agg int) []zpair {
	s := bySize(srcs)
	if s[0].len() == 0 {
		return nil
	}
	var out []zpair
	s[0].each(func(m string, sc float64) {
		v := weighted(s[0].weight, sc)
		for i := 1; i < len(s); i++ {
			o, ok := s[i].score(m)
			if !ok {
				return
			}
			v = aggregate(agg, v, weighted(s[i].weight, o))
		}
		out = append(out, zpair{m, v})
	})
	return out
}

func zdiff(srcs []zsrc) []zpair {
	var out []zpair
	srcs[0].each(func(m string, sc float64) {
		for i := 1; i < len(srcs); i++ {
			if _, ok := srcs[i].score(m); ok {
				return
			}
		}
		out = append(out, zpair{m, sc})
	})
	return out
}

// zinterCard counts the intersection, stopping at limit (0: no limit).
func zinterCard(srcs []zsrc, limit int64) int64 {
	s := bySize(srcs)
	var n int64
	if s[0].len() == 0 {
		return 0
	}
	done := false
	s[0].each(func(m string, _ float64) {
		if done {
			return
		}
		for i := 1; i < len(s); i++ {
			if _, ok := s[i].score(m); !ok {
				return
			}
		}
		n++
		done = limit > 0 && n >= limit
	})
	return n
}

// storePairs replaces dst with the sorted pairs (deleting it if there are
// none; the TTL goes with the old value) and replies with the count.
func (c *Ctx) storePairs(dst []byte, res []zpair) {
	if len(res) == 0 {
		c.del(dst)
		c.W.Int(0)
		return
	}
	maxLen := 0
	for _, p := range res {
		maxLen = max(maxLen, len(p.member))
	}
	z := newZSetFor(len(res), maxLen)
	for _, p := range res {
		z.add(p.score, p.member)
	}
	c.add(string(dst), &entry{kind: KindZSet, obj: z})
	c.signalReady(dst)
	c.W.Int(int64(len(res)))
}
