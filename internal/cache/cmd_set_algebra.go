package cache

import "slices"

// Set algebra: SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD and
// SMOVE. Results are built the way Redis 7.0 builds them, so that their
// order and encoding match: SINTER walks the smallest set and answers in its
// order; SUNION, SDIFF and every STORE fill a new set that starts as an
// intset (sorted) and becomes a hashtable only when a member requires it.

func cmdSMove(c *Ctx, a [][]byte) {
	src, dst, m := a[1], a[2], string(a[3])
	se, ss, ok := setOf(c, src)
	if !ok {
		return
	}
	if ss == nil { // Redis answers 0 before looking at the destination's type
		c.W.Int(0)
		return
	}
	de, ds, ok := setOf(c, dst)
	if !ok {
		return
	}
	if !ss.Has(m) {
		c.W.Int(0)
		return
	}
	if string(src) == string(dst) {
		c.W.Int(1)
		return
	}
	c.modify(string(src), se)
	ss.Remove(m)
	c.deleteIfEmpty(src, se)
	if ds == nil {
		ds = newSet()
		c.add(string(dst), &entry{kind: KindSet, obj: ds})
	} else if !ds.Has(m) {
		c.modify(string(dst), de)
	}
	ds.Add(m)
	c.W.Int(1)
}

// storeSet makes s the value of dst (deleting dst if s is empty) and
// replies its size, as the *STORE commands do.
func storeSet(c *Ctx, dst []byte, s *Set) {
	if s.Len() == 0 {
		c.del(dst)
		c.W.Int(0)
		return
	}
	c.add(string(dst), &entry{kind: KindSet, obj: s})
	c.W.Int(int64(s.Len()))
}

// intersect calls fn for each member of the intersection of sets (none
// nil), walking the smallest and probing the others, until fn returns false.
func intersect(sets []*Set, fn func(m string) bool) {
	sorted := slices.Clone(sets)
	slices.SortFunc(sorted, func(x, y *Set) int { return x.Len() - y.Len() })
	sorted[0].Each(func(m string) bool {
		for _, o := range sorted[1:] {
			if !o.Has(m) {
				return true
			}
		}
		return fn(m)
	})
}

// sinterGeneric serves SMEMBERS, SINTER and (dst != nil) SINTERSTORE. A
// missing key makes the intersection empty, but every key's type is checked
// first, as Redis does.
func sinterGeneric(c *Ctx, keys [][]byte, dst []byte) {
	sets, ok := setsOf(c, keys)
	if !ok {
		return
	}
	empty := slices.Contains(sets, nil)
	if dst != nil {
		result := newSet()
		if !empty {
			intersect(sets, func(m string) bool { result.Add(m); return true })
		}
		storeSet(c, dst, result)
		return
	}
	switch {
	case empty:
		c.W.Set(0)
	case len(sets) == 1:
		replyMembers(c, sets[0])
	default:
		var out []string
		intersect(sets, func(m string) bool { out = append(out, m); return true })
		c.W.Set(len(out))
		for _, m := range out {
			c.W.BulkString(m)
		}
	}
}

func cmdSInterCard(c *Ctx, a [][]byte) {
	numkeys, ok := parseInt(a[1])
	if !ok || numkeys < 1 {
		c.W.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(a)-2) {
		c.W.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(a); i++ {
		if !eqFold(a[i], "LIMIT") || i+1 >= len(a) {
			c.W.Error(ErrSyntax)
			return
		}
		i++
		if limit, ok = parseInt(a[i]); !ok || limit < 0 {
			c.W.Error("ERR LIMIT can't be negative")
			return
		}
	}
	sets, ok := setsOf(c, a[2:2+numkeys])
	if !ok {
		return
	}
	var n int64
	if !slices.Contains(sets, nil) {
		intersect(sets, func(string) bool { n++; return limit == 0 || n < limit })
	}
	c.W.Int(n)
}

// sintercardKeys locates SINTERCARD's keys: numkeys of them after numkeys.
func sintercardKeys(a [][]byte) []int {
	if len(a) < 2 {
		return nil
	}
	n, ok := parseInt(a[1])
	if !ok || n < 1 {
		return nil
	}
	var out []int
	for i := 2; i < 2+int(min(n, int64(len(a)))) && i < len(a); i++ {
		out = append(out, i)
	}
	return out
}

// sunionDiffGeneric serves SUNION, SDIFF and their STORE forms.
func sunionDiffGeneric(c *Ctx, keys [][]byte, dst []byte, diff bool) {
	sets, ok := setsOf(c, keys)
	if !ok {
		return
	}
	result := newSet()
	switch {
	case !diff:
		for _, s := range sets {
			if s != nil {
				s.Each(func(m string) bool { result.Add(m); return true })
			}
		}
	case sets[0] != nil:
		sets[0].Each(func(m string) bool {
			for _, o := range sets[1:] {
				if o != nil && o.Has(m) {
					return true
				}
			}
			result.Add(m)
			return true
		})
	}
	if dst != nil {
		storeSet(c, dst, result)
		return
	}
	replyMembers(c, result)
}
