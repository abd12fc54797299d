package cache

import (
	"math"
	"slices"
	"strconv"
)

// Set commands.
func setCommands() []*Command {
	w, wd, r := FlagWrite|FlagFast, FlagWrite|FlagDenyOOM|FlagFast, FlagReadOnly|FlagFast
	cmd := func(name string, arity int, f Flag, first, last int, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: 1, Group: "set", Run: run}
	}
	return []*Command{
		cmd("sadd", -3, wd, 1, 1, cmdSAdd),
		cmd("srem", -3, w, 1, 1, cmdSRem),
		cmd("smembers", 2, FlagReadOnly, 1, 1, func(c *Ctx, a [][]byte) { sinterGeneric(c, a[1:], nil) }),
		cmd("sismember", 3, r, 1, 1, cmdSIsMember),
		cmd("smismember", -3, r, 1, 1, cmdSMIsMember),
		cmd("scard", 2, r, 1, 1, cmdSCard),
		cmd("spop", -2, w|FlagRandom, 1, 1, cmdSPop),
		cmd("srandmember", -2, FlagReadOnly|FlagRandom, 1, 1, cmdSRandMember),
		cmd("smove", 4, w, 1, 2, cmdSMove),
		cmd("sinter", -2, FlagReadOnly, 1, -1, func(c *Ctx, a [][]byte) { sinterGeneric(c, a[1:], nil) }),
		{Name: "sintercard", Arity: -3, Flags: FlagReadOnly, Group: "set", Run: cmdSInterCard, KeysFn: sintercardKeys},
		cmd("sunion", -2, FlagReadOnly, 1, -1, func(c *Ctx, a [][]byte) { sunionDiffGeneric(c, a[1:], nil, false) }),
		cmd("sdiff", -2, FlagReadOnly, 1, -1, func(c *Ctx, a [][]byte) { sunionDiffGeneric(c, a[1:], nil, true) }),
		cmd("sinterstore", -3, FlagWrite|FlagDenyOOM, 1, -1, func(c *Ctx, a [][]byte) { sinterGeneric(c, a[2:], a[1]) }),
		cmd("sunionstore", -3, FlagWrite|FlagDenyOOM, 1, -1, func(c *Ctx, a [][]byte) { sunionDiffGeneric(c, a[2:], a[1], false) }),
		cmd("sdiffstore", -3, FlagWrite|FlagDenyOOM, 1, -1, func(c *Ctx, a [][]byte) { sunionDiffGeneric(c, a[2:], a[1], true) }),
		cmd("sscan", -3, FlagReadOnly|FlagRandom, 1, 1, cmdSScan),
	}
}

// setOf returns key's set, or nil if the key is missing; ok is false when
// the key holds another type (WRONGTYPE has been replied).
func setOf(c *Ctx, key []byte) (e *entry, s *Set, ok bool) {
	e, ok = c.lookupKind(key, KindSet)
	if !ok || e == nil {
		return nil, nil, ok
	}
	return e, e.obj.(*Set), true
}

// setsOf looks up every key as a set (nil when missing). Like Redis it
// checks the type of every key, even after a missing one.
func setsOf(c *Ctx, keys [][]byte) ([]*Set, bool) {
	sets := make([]*Set, len(keys))
	for i, k := range keys {
		_, s, ok := setOf(c, k)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

func cmdSAdd(c *Ctx, a [][]byte) {
	e, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	var n int64
	for _, m := range a[2:] {
		if s != nil && s.Has(string(m)) {
			continue
		}
		if n == 0 { // only a real change creates the key or bumps its version
			if s == nil {
				s = newSet()
				c.add(string(a[1]), &entry{kind: KindSet, obj: s})
			} else {
				c.modify(string(a[1]), e)
			}
		}
		s.Add(string(m))
		n++
	}
	c.W.Int(n)
}

func cmdSRem(c *Ctx, a [][]byte) {
	e, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	var n int64
	for _, m := range a[2:] {
		if s == nil || !s.Has(string(m)) {
			continue
		}
		if n == 0 {
			c.modify(string(a[1]), e)
		}
		s.Remove(string(m))
		n++
	}
	if n > 0 {
		c.deleteIfEmpty(a[1], e)
	}
	c.W.Int(n)
}

func cmdSIsMember(c *Ctx, a [][]byte) {
	_, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	if s != nil && s.Has(string(a[2])) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

func cmdSMIsMember(c *Ctx, a [][]byte) {
	_, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	c.W.Array(len(a) - 2)
	for _, m := range a[2:] {
		if s != nil && s.Has(string(m)) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func cmdSCard(c *Ctx, a [][]byte) {
	_, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

func cmdSPop(c *Ctx, a [][]byte) {
	if len(a) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	if len(a) == 2 {
		e, s, ok := setOf(c, a[1])
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		c.modify(string(a[1]), e)
		m := s.Random(c.Rand())
		s.Remove(m)
		c.deleteIfEmpty(a[1], e)
		c.W.BulkString(m)
		return
	}
	count, ok := parseInt(a[2])
	if !ok || count < 0 {
		c.W.Error("ERR value is out of range, must be positive")
		return
	}
	e, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.W.Set(0)
		return
	}
	size := s.Len()
	if count >= int64(size) { // everything: the key goes
		replyMembers(c, s)
		c.deleteEntry(string(a[1]), e)
		return
	}
	c.modify(string(a[1]), e)
	r := c.Rand()
	n := int(count)
	var popped []string
	if keep := size - n; keep*5 > n {
		popped = make([]string, n)
		for i := range popped {
			popped[i] = s.Random(r)
			s.Remove(popped[i])
		}
	} else {
		// Popping most of the set: choose the few that stay instead.
		stay := make(map[string]struct{}, keep)
		for _, m := range s.sample(r, keep) {
			stay[m] = struct{}{}
		}
		s.Each(func(m string) bool {
			if !hasKey(stay, m) {
				popped = append(popped, m)
			}
			return true
		})
		for _, m := range popped {
			s.Remove(m)
		}
	}
	c.W.Set(len(popped))
	for _, m := range popped {
		c.W.BulkString(m)
	}
}

func cmdSRandMember(c *Ctx, a [][]byte) {
	if len(a) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	if len(a) == 2 {
		_, s, ok := setOf(c, a[1])
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		c.W.BulkString(s.Random(c.Rand()))
		return
	}
	count, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if count == math.MinInt64 {
		c.W.Error(errCountRange)
		return
	}
	_, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.W.Array(0)
		return
	}
	r := c.Rand()
	if count < 0 { // repetitions allowed: exactly -count picks
		c.W.Array(int(-count))
		for i := int64(0); i < -count; i++ {
			c.W.BulkString(s.Random(r))
		}
		return
	}
	picked := s.sample(r, int(min(count, int64(s.Len()))))
	c.W.Array(len(picked))
	for _, m := range picked {
		c.W.BulkString(m)
	}
}

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

// replyMembers replies s as a set (RESP3 ~).
func replyMembers(c *Ctx, s *Set) {
	c.W.Set(s.Len())
	s.Each(func(m string) bool { c.W.BulkString(m); return true })
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

// sinterGeneric serves SMEMBERS, SINTER and (dst != nil) SINTERSTORE.
func sinterGeneric(c *Ctx, keys [][]byte, dst []byte) {
	sets, ok := setsOf(c, keys)
	if !ok {
		return
	}
	result := newSet()
	if !slices.Contains(sets, nil) {
		if dst == nil && len(sets) == 1 {
			replyMembers(c, sets[0])
			return
		}
		intersect(sets, func(m string) bool { result.Add(m); return true })
	}
	if dst != nil {
		storeSet(c, dst, result)
		return
	}
	replyMembers(c, result)
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

func cmdSScan(c *Ctx, a [][]byte) {
	cursor, match, count, _, ok := parseScanArgs(c, a[2:])
	if !ok {
		return
	}
	_, s, ok := setOf(c, a[1])
	if !ok {
		return
	}
	var out []string
	var next uint64
	keep := func(m string) {
		if match == "*" || Glob(match, m, false) {
			out = append(out, m)
		}
	}
	switch {
	case s == nil:
	case s.enc != setEncHashtable: // small encodings answer in one call, as Redis does
		s.Each(func(m string) bool { keep(m); return true })
	default:
		next = s.big.Scan(cursor, count, func(m string, _ struct{}) { keep(m) })
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(out))
	for _, m := range out {
		c.W.BulkString(m)
	}
}
