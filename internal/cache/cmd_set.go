package cache

import (
	"fmt"
	"math"
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
		cmd("scard", 2, r, 1, 1, cmdCardinality(KindSet)),
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
	if count >= int64(size) {
		// Everything goes. Redis 7.0 answers through SUNION, so an all-integer
		// set comes back sorted even when it is a hashtable.
		whole := newSet()
		s.Each(func(m string) bool { whole.Add(m); return true })
		replyMembers(c, whole)
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
		// Popping most of the set: choose the few that stay, in a new set
		// that takes the key's place — so, as in Redis 7.0, a hashtable whose
		// survivors are a few integers becomes an intset again. The popped
		// members are answered in the old set's order.
		stay := newSet()
		for _, m := range s.sample(r, keep) {
			stay.Add(m)
		}
		s.Each(func(m string) bool {
			if !stay.Has(m) {
				popped = append(popped, m)
			}
			return true
		})
		*s = *stay
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
		n := -count
		if !randCountFits(c, uint64(n), s.memberBytes(), s.Len(), 1) {
			return
		}
		c.W.Array(int(n))
		for i := int64(0); i < n; i++ {
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

// A negative count to SRANDMEMBER, HRANDFIELD or ZRANDMEMBER asks for that
// many picks with repetition, so the reply is bounded by the count, not by
// the key: "SRANDMEMBER k -9223372036854775807" on a one-member set. Redis
// 7.0 builds such a reply in the client's output buffer until it is done or
// the client passes its output buffer limit — with the default (no limit
// for normal clients) it grows until the process runs out of memory. Triad
// builds replies in memory too (under the engine's read lock, so it cannot
// stream them to a slow client), and refuses instead, before writing
// anything, a count whose reply is expected to exceed randMaxReplyBytes.
// The error contains Redis's "value is out of range", which clients and
// Redis's own tests match for out-of-range counts.
const (
	randMaxReplyBytes = 256 << 20
	// randBulkOverhead is the RESP framing of one bulk string ("$7\r\n…\r\n").
	randBulkOverhead = 6
	// randMinPickBytes is a floor on the cost of one pick: a reply held as
	// values (a script's Lua table, a MULTI's queued replies) costs more
	// per element than its wire size.
	randMinPickBytes = 16
)

// randCountFits reports whether n picks, each of bulks bulk strings, fit
// in randMaxReplyBytes, estimated from the mean element size of the key
// (dataBytes over elems elements, where an element is everything one pick
// returns); if not, it replies the error. Picks are uniform, so n × mean is
// the expected size.
func randCountFits(c *Ctx, n uint64, dataBytes int64, elems, bulks int) bool {
	per := float64(randBulkOverhead * bulks)
	if elems > 0 {
		per += float64(dataBytes) / float64(elems)
	}
	if float64(n)*max(per, randMinPickBytes) <= randMaxReplyBytes {
		return true
	}
	c.W.Error(fmt.Sprintf("ERR value is out of range, the reply to this count would exceed %d bytes", randMaxReplyBytes))
	return false
}

// replyMembers replies s as a set (RESP3 ~).
func replyMembers(c *Ctx, s *Set) {
	c.W.Set(s.Len())
	s.Each(func(m string) bool { c.W.BulkString(m); return true })
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
	case s.enc == setEncIntset: // an intset answers in one call, as Redis does
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
