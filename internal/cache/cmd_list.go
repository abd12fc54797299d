package cache

// List commands. The blocking forms and the multi-key pops and moves are in
// cmd_list_blocking.go.
func listCommands() []*Command {
	push := FlagWrite | FlagDenyOOM | FlagFast
	one := func(name string, arity int, flags Flag, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: run}
	}
	cmds := []*Command{
		one("lpush", -3, push, func(c *Ctx, a [][]byte) { cmdPush(c, a, true, false) }),
		one("rpush", -3, push, func(c *Ctx, a [][]byte) { cmdPush(c, a, false, false) }),
		one("lpushx", -3, push, func(c *Ctx, a [][]byte) { cmdPush(c, a, true, true) }),
		one("rpushx", -3, push, func(c *Ctx, a [][]byte) { cmdPush(c, a, false, true) }),
		one("lpop", -2, FlagWrite|FlagFast, func(c *Ctx, a [][]byte) { cmdPop(c, a, true) }),
		one("rpop", -2, FlagWrite|FlagFast, func(c *Ctx, a [][]byte) { cmdPop(c, a, false) }),
		one("llen", 2, FlagReadOnly|FlagFast, cmdCardinality(KindList)),
		one("lindex", 3, FlagReadOnly, cmdLIndex),
		one("lset", 4, FlagWrite|FlagDenyOOM, cmdLSet),
		one("lrange", 4, FlagReadOnly, cmdLRange),
		one("ltrim", 4, FlagWrite, cmdLTrim),
		one("linsert", 5, FlagWrite|FlagDenyOOM, cmdLInsert),
		one("lrem", 4, FlagWrite, cmdLRem),
		one("lpos", -3, FlagReadOnly, cmdLPos),
	}
	return append(cmds, listMoveCommands()...)
}

// Error texts of the list commands, as Redis 7.0 words them.
const (
	errPositive   = "ERR value is out of range, must be positive"
	errRankZero   = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNeg   = "ERR COUNT can't be negative"
	errMaxLenNeg  = "ERR MAXLEN can't be negative"
	errNumKeys    = "ERR numkeys should be greater than 0"
	errCountZero  = "ERR count should be greater than 0"
	errTimeoutNaN = "ERR timeout is not a float or out of range"
	errTimeoutNeg = "ERR timeout is negative"
	errTimeoutBig = "ERR timeout is out of range"
)

// getList returns the list under key (nil if there is none); ok is false
// after a WRONGTYPE reply.
func (c *Ctx) getList(key []byte) (*List, *entry, bool) {
	e, ok := c.lookupKind(key, KindList)
	if !ok || e == nil {
		return nil, nil, ok
	}
	return e.obj.(*List), e, true
}

// listForPush returns the list under key ready to be changed, creating it
// when missing. The caller has checked the key's type.
func (c *Ctx) listForPush(key []byte, l *List, e *entry, n int) *List {
	if l == nil {
		l = newList(n)
		c.add(string(key), &entry{kind: KindList, obj: l})
		return l
	}
	c.modify(string(key), e)
	return l
}

func cmdPush(c *Ctx, a [][]byte, left, onlyExisting bool) {
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil && onlyExisting {
		c.W.Int(0)
		return
	}
	l = c.listForPush(a[1], l, e, len(a)-2)
	for _, v := range a[2:] {
		if left {
			l.PushFront(v)
		} else {
			l.PushBack(v)
		}
	}
	c.signalReady(a[1])
	c.W.Int(int64(l.Len()))
}

func popOne(l *List, left bool) []byte {
	if left {
		return l.PopFront()
	}
	return l.PopBack()
}

// cmdPop is LPOP/RPOP. Without a count it answers a bulk string (null when
// the key is missing); with one, an array (a null array when missing).
func cmdPop(c *Ctx, a [][]byte, left bool) {
	if len(a) > 3 {
		name := "rpop"
		if left {
			name = "lpop"
		}
		c.W.Error(WrongArity(name))
		return
	}
	count, hasCount := int64(0), len(a) == 3
	if hasCount {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			c.W.Error(errPositive)
			return
		}
		count = n
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	switch {
	case l == nil && hasCount:
		c.W.NullArray()
		return
	case l == nil:
		c.W.Null()
		return
	case hasCount && count == 0:
		c.W.Array(0)
		return
	}
	c.modify(string(a[1]), e)
	if !hasCount {
		c.W.Bulk(popOne(l, left))
	} else {
		n := int(min(count, int64(l.Len())))
		c.W.Array(n)
		for range n {
			c.W.Bulk(popOne(l, left))
		}
	}
	c.deleteIfEmpty(a[1], e)
}

// listIndex turns a possibly negative index into a position, or -1.
func listIndex(i int64, n int) int {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return -1
	}
	return int(i)
}

func cmdLIndex(c *Ctx, a [][]byte) {
	l, _, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if p := listIndex(i, l.Len()); p >= 0 {
		c.W.Bulk(l.At(p))
	} else {
		c.W.Null()
	}
}

func cmdLSet(c *Ctx, a [][]byte) {
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Error(ErrNoSuchKey)
		return
	}
	i, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	p := listIndex(i, l.Len())
	if p < 0 {
		c.W.Error(ErrIndexRange)
		return
	}
	c.modify(string(a[1]), e)
	l.Set(p, a[3])
	c.W.Status("OK")
}

// listRange clamps Redis's inclusive [start, stop] to a list of length n;
// ok is false for an empty range.
func listRange(start, stop int64, n int) (int, int, bool) {
	if start < 0 {
		start = max(start+int64(n), 0)
	}
	if stop < 0 {
		stop += int64(n)
	}
	if start > stop || start >= int64(n) {
		return 0, 0, false
	}
	return int(start), int(min(stop, int64(n)-1)), true
}

func parseTwoInts(c *Ctx, x, y []byte) (int64, int64, bool) {
	a, ok1 := parseInt(x)
	b, ok2 := parseInt(y)
	if !ok1 || !ok2 {
		c.W.Error(ErrNotInt)
		return 0, 0, false
	}
	return a, b, true
}

func cmdLRange(c *Ctx, a [][]byte) {
	start, stop, ok := parseTwoInts(c, a[2], a[3])
	if !ok {
		return
	}
	l, _, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Array(0)
		return
	}
	s, t, any := listRange(start, stop, l.Len())
	if !any {
		c.W.Array(0)
		return
	}
	c.W.Array(t - s + 1)
	for i := s; i <= t; i++ {
		c.W.Bulk(l.At(i))
	}
}

func cmdLTrim(c *Ctx, a [][]byte) {
	start, stop, ok := parseTwoInts(c, a[2], a[3])
	if !ok {
		return
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l != nil {
		// Redis signals the key as modified (WATCH) even when nothing goes.
		c.modify(string(a[1]), e)
		s, t, keep := listRange(start, stop, l.Len())
		l.Trim(s, t, keep)
		c.deleteIfEmpty(a[1], e)
	}
	c.W.Status("OK")
}

func cmdLInsert(c *Ctx, a [][]byte) {
	var after bool
	switch {
	case eqFold(a[2], "AFTER"):
		after = true
	case eqFold(a[2], "BEFORE"):
	default:
		c.W.Error(ErrSyntax)
		return
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	i := l.Index(a[3])
	if i < 0 {
		c.W.Int(-1)
		return
	}
	if after {
		i++
	}
	c.modify(string(a[1]), e)
	l.Insert(i, a[4])
	c.signalReady(a[1])
	c.W.Int(int64(l.Len()))
}

func cmdLRem(c *Ctx, a [][]byte) {
	count, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	limit := count
	if limit < 0 {
		limit = -limit // MinInt64 stays negative: "no limit", as in Redis
	}
	if limit < 0 || limit > int64(l.Len()) {
		limit = 0
	}
	if l.Index(a[3]) < 0 {
		c.W.Int(0)
		return
	}
	c.modify(string(a[1]), e)
	n := l.Remove(a[3], int(limit), count < 0)
	c.deleteIfEmpty(a[1], e)
	c.W.Int(int64(n))
}

// cmdLPos is LPOS key element [RANK rank] [COUNT num] [MAXLEN len]. Positions
// are always counted from the head, even when RANK scans from the tail.
func cmdLPos(c *Ctx, a [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(a); j++ {
		more := j+1 < len(a)
		switch {
		case eqFold(a[j], "RANK") && more:
			j++
			n, ok := parseInt(a[j])
			if !ok {
				c.W.Error(ErrNotInt)
				return
			}
			if n == 0 {
				c.W.Error(errRankZero)
				return
			}
			rank = n
		case eqFold(a[j], "COUNT") && more:
			j++
			n, ok := parseInt(a[j])
			if !ok || n < 0 {
				c.W.Error(errCountNeg)
				return
			}
			count = n
		case eqFold(a[j], "MAXLEN") && more:
			j++
			n, ok := parseInt(a[j])
			if !ok || n < 0 {
				c.W.Error(errMaxLenNeg)
				return
			}
			maxlen = n
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	l, _, ok := c.getList(a[1])
	if !ok {
		return
	}
	var found []int
	if l != nil {
		found = l.Find(a[2], rank, count, maxlen)
	}
	if count >= 0 {
		c.W.Array(len(found))
		for _, p := range found {
			c.W.Int(int64(p))
		}
		return
	}
	if len(found) == 0 {
		c.W.Null()
		return
	}
	c.W.Int(int64(found[0]))
}
