package cache

import (
	"bytes"
	"math"
	"strconv"
	"time"
)

// List commands.
func listCommands() []*Command {
	w := FlagWrite | FlagDenyOOM | FlagFast
	return []*Command{
		{Name: "lpush", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPush(c, a, true, false) }},
		{Name: "rpush", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPush(c, a, false, false) }},
		{Name: "lpushx", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPush(c, a, true, true) }},
		{Name: "rpushx", Arity: -3, Flags: w, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPush(c, a, false, true) }},
		{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPop(c, a, true) }},
		{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdPop(c, a, false) }},
		{Name: "llen", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLLen},
		{Name: "lindex", Arity: 3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLIndex},
		{Name: "lset", Arity: 4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLSet},
		{Name: "lrange", Arity: 4, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLRange},
		{Name: "ltrim", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLTrim},
		{Name: "linsert", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLInsert},
		{Name: "lrem", Arity: 4, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLRem},
		{Name: "lpos", Arity: -3, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "list", Run: cmdLPos},
		{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list", Run: cmdLMove},
		{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list", Run: cmdRPopLPush},
		{Name: "lmpop", Arity: -4, Flags: FlagWrite, KeysFn: lmpopKeys(1), Group: "list", Run: func(c *Ctx, a [][]byte) { cmdLMPop(c, a[1:]) }},
		{Name: "blpop", Arity: -3, Flags: FlagWrite | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdBPop(c, a, true) }, BlockTimeout: lastTimeout},
		{Name: "brpop", Arity: -3, Flags: FlagWrite | FlagBlocking, FirstKey: 1, LastKey: -2, Step: 1, Group: "list", Run: func(c *Ctx, a [][]byte) { cmdBPop(c, a, false) }, BlockTimeout: lastTimeout},
		{Name: "blmove", Arity: 6, Flags: FlagWrite | FlagDenyOOM | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1, Group: "list", Run: cmdBLMove, BlockTimeout: lastTimeout, BlockKeys: func([][]byte) []int { return []int{1} }},
		{Name: "brpoplpush", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagBlocking, FirstKey: 1, LastKey: 2, Step: 1, Group: "list", Run: cmdBRPopLPush, BlockTimeout: lastTimeout, BlockKeys: func([][]byte) []int { return []int{1} }},
		{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, KeysFn: lmpopKeys(2), Group: "list", Run: func(c *Ctx, a [][]byte) { cmdLMPop(c, a[2:]) },
			BlockTimeout: func(a [][]byte) (time.Duration, string) { return parseTimeout(a[1]) }},
	}
}

// parseTimeout parses a blocking timeout in seconds (a float), as Redis does.
func parseTimeout(b []byte) (time.Duration, string) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "ERR timeout is not a float or out of range"
	}
	if f < 0 {
		return 0, "ERR timeout is negative"
	}
	if f*1000 > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, "ERR timeout is out of range"
	}
	return time.Duration(f * float64(time.Second)), ""
}

func lastTimeout(a [][]byte) (time.Duration, string) { return parseTimeout(a[len(a)-1]) }

// lmpopKeys locates the keys of LMPOP (numkeys at position at) and BLMPOP.
func lmpopKeys(at int) func([][]byte) []int {
	return func(a [][]byte) []int {
		if len(a) <= at {
			return nil
		}
		n, ok := parseInt(a[at])
		if !ok || n <= 0 || int(n) > len(a)-at-1 {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = at + 1 + i
		}
		return out
	}
}

func (c *Ctx) getList(key []byte) (*list, *entry, bool) {
	e, ok := c.lookupKind(key, KindList)
	if !ok || e == nil {
		return nil, nil, ok
	}
	return e.obj.(*list), e, true
}

func cmdPush(c *Ctx, a [][]byte, left, onlyExisting bool) {
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		if onlyExisting {
			c.W.Int(0)
			return
		}
		l = newList()
		e = &entry{kind: KindList, obj: l}
		c.add(string(a[1]), e)
	} else {
		c.modify(string(a[1]), e)
	}
	for _, v := range a[2:] {
		v = bytes.Clone(v)
		if left {
			l.pushFront(v)
		} else {
			l.pushBack(v)
		}
	}
	c.signalReady(a[1])
	c.W.Int(int64(l.Len()))
}

func popOne(l *list, left bool) []byte {
	if left {
		return l.popFront()
	}
	return l.popBack()
}

func cmdPop(c *Ctx, a [][]byte, left bool) {
	if len(a) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	count, hasCount := int64(1), len(a) == 3
	if hasCount {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			c.W.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		if hasCount {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	if !hasCount {
		c.modify(string(a[1]), e)
		c.W.Bulk(popOne(l, left))
		c.deleteIfEmpty(a[1], e)
		return
	}
	n := int(min(count, int64(l.Len())))
	if n > 0 {
		c.modify(string(a[1]), e)
	}
	c.W.Array(n)
	for i := 0; i < n; i++ {
		c.W.Bulk(popOne(l, left))
	}
	c.deleteIfEmpty(a[1], e)
}

func cmdLLen(c *Ctx, a [][]byte) {
	l, _, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(l.Len()))
}

// normIndex turns a possibly negative index into a position, or -1.
func normIndex(i int64, n int) int {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return -1
	}
	return int(i)
}

func cmdLIndex(c *Ctx, a [][]byte) {
	i, okI := parseInt(a[2])
	if !okI {
		c.W.Error(ErrNotInt)
		return
	}
	l, _, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	if p := normIndex(i, l.Len()); p >= 0 {
		c.W.Bulk(l.at(p))
	} else {
		c.W.Null()
	}
}

func cmdLSet(c *Ctx, a [][]byte) {
	i, okI := parseInt(a[2])
	if !okI {
		c.W.Error(ErrNotInt)
		return
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Error(ErrNoSuchKey)
		return
	}
	p := normIndex(i, l.Len())
	if p < 0 {
		c.W.Error(ErrIndexRange)
		return
	}
	c.modify(string(a[1]), e)
	l.set(p, bytes.Clone(a[3]))
	c.W.Status("OK")
}

// rangeOf clamps Redis's inclusive [start, stop] to a list of length n;
// ok is false for an empty range.
func rangeOf(start, stop int64, n int) (int, int, bool) {
	if start < 0 {
		start += int64(n)
	}
	if stop < 0 {
		stop += int64(n)
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= int64(n) {
		return 0, 0, false
	}
	if stop >= int64(n) {
		stop = int64(n) - 1
	}
	return int(start), int(stop), true
}

func cmdLRange(c *Ctx, a [][]byte) {
	start, ok1 := parseInt(a[2])
	stop, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		c.W.Error(ErrNotInt)
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
	s, t, any := rangeOf(start, stop, l.Len())
	if !any {
		c.W.Array(0)
		return
	}
	c.W.Array(t - s + 1)
	for i := s; i <= t; i++ {
		c.W.Bulk(l.at(i))
	}
}

func cmdLTrim(c *Ctx, a [][]byte) {
	start, ok1 := parseInt(a[2])
	stop, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		c.W.Error(ErrNotInt)
		return
	}
	l, e, ok := c.getList(a[1])
	if !ok {
		return
	}
	if l == nil {
		c.W.Status("OK")
		return
	}
	c.modify(string(a[1]), e)
	s, t, any := rangeOf(start, stop, l.Len())
	if !any {
		l.replaceAll(nil)
	} else if s > 0 || t < l.Len()-1 {
		l.replaceAll(l.slice(s, t))
	}
	c.deleteIfEmpty(a[1], e)
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
	for i := 0; i < l.Len(); i++ {
		if bytes.Equal(l.at(i), a[3]) {
			c.modify(string(a[1]), e)
			elems := l.all()
			at := i
			if after {
				at++
			}
			elems = append(elems[:at], append([][]byte{bytes.Clone(a[4])}, elems[at:]...)...)
			l.replaceAll(elems)
			c.signalReady(a[1])
			c.W.Int(int64(l.Len()))
			return
		}
	}
	c.W.Int(-1)
}

func cmdLRem(c *Ctx, a [][]byte) {
	count, okC := parseInt(a[2])
	if !okC {
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
	elems := l.all()
	keep := make([]bool, len(elems))
	removed := int64(0)
	for i := range keep {
		keep[i] = true
	}
	if count >= 0 {
		for i := 0; i < len(elems) && (count == 0 || removed < count); i++ {
			if bytes.Equal(elems[i], a[3]) {
				keep[i] = false
				removed++
			}
		}
	} else {
		for i := len(elems) - 1; i >= 0 && removed < -count; i-- {
			if bytes.Equal(elems[i], a[3]) {
				keep[i] = false
				removed++
			}
		}
	}
	if removed > 0 {
		c.modify(string(a[1]), e)
		out := elems[:0:0]
		for i, v := range elems {
			if keep[i] {
				out = append(out, v)
			}
		}
		l.replaceAll(out)
		c.deleteIfEmpty(a[1], e)
	}
	c.W.Int(removed)
}

func cmdLPos(c *Ctx, a [][]byte) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for i := 3; i < len(a); i += 2 {
		if i+1 >= len(a) {
			c.W.Error(ErrSyntax)
			return
		}
		n, ok := parseInt(a[i+1])
		if !ok {
			c.W.Error(ErrNotInt)
			return
		}
		switch {
		case eqFold(a[i], "RANK"):
			if n == 0 {
				c.W.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			if n == math.MinInt64 {
				c.W.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
				return
			}
			rank = n
		case eqFold(a[i], "COUNT"):
			if n < 0 {
				c.W.Error("ERR COUNT can't be negative")
				return
			}
			count = n
		case eqFold(a[i], "MAXLEN"):
			if n < 0 {
				c.W.Error("ERR MAXLEN can't be negative")
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
	var found []int64
	if l != nil {
		want := count
		if want == 0 {
			want = math.MaxInt64
		} else if want < 0 {
			want = 1
		}
		skip := rank
		if skip < 0 {
			skip = -skip
		}
		n := l.Len()
		for j := 0; j < n && (maxlen == 0 || int64(j) < maxlen) && int64(len(found)) < want; j++ {
			i := j
			if rank < 0 {
				i = n - 1 - j
			}
			if bytes.Equal(l.at(i), a[2]) {
				if skip > 1 {
					skip--
					continue
				}
				found = append(found, int64(i))
			}
		}
	}
	if count < 0 {
		if len(found) == 0 {
			c.W.Null()
		} else {
			c.W.Int(found[0])
		}
		return
	}
	c.W.Array(len(found))
	for _, p := range found {
		c.W.Int(p)
	}
}

func parseWhere(b []byte) (left, ok bool) {
	switch {
	case eqFold(b, "LEFT"):
		return true, true
	case eqFold(b, "RIGHT"):
		return false, true
	}
	return false, false
}

// move pops from src and pushes to dst, replying with the element (or null).
func (c *Ctx) move(src, dst []byte, fromLeft, toLeft bool) {
	l, e, ok := c.getList(src)
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	dl, de, ok := c.getList(dst)
	if !ok {
		return
	}
	c.modify(string(src), e)
	v := popOne(l, fromLeft)
	if bytes.Equal(src, dst) { // rotate within one list
		if toLeft {
			l.pushFront(v)
		} else {
			l.pushBack(v)
		}
	} else {
		c.deleteIfEmpty(src, e)
		if dl == nil {
			dl = newList()
			de = &entry{kind: KindList, obj: dl}
			c.add(string(dst), de)
		} else {
			c.modify(string(dst), de)
		}
		if toLeft {
			dl.pushFront(v)
		} else {
			dl.pushBack(v)
		}
	}
	c.signalReady(dst)
	c.W.Bulk(v)
}

func cmdLMove(c *Ctx, a [][]byte) {
	from, ok1 := parseWhere(a[3])
	to, ok2 := parseWhere(a[4])
	if !ok1 || !ok2 {
		c.W.Error(ErrSyntax)
		return
	}
	c.move(a[1], a[2], from, to)
}

func cmdRPopLPush(c *Ctx, a [][]byte) { c.move(a[1], a[2], false, true) }

// cmdLMPop serves LMPOP and BLMPOP; a starts at numkeys.
func cmdLMPop(c *Ctx, a [][]byte) {
	n, ok := parseInt(a[0])
	if !ok || n <= 0 {
		c.W.Error("ERR numkeys should be greater than 0")
		return
	}
	if int64(len(a)-1) < n+1 {
		c.W.Error(ErrSyntax)
		return
	}
	keys, rest := a[1:1+n], a[1+n:]
	left, okW := parseWhere(rest[0])
	if !okW {
		c.W.Error(ErrSyntax)
		return
	}
	count := int64(1)
	switch {
	case len(rest) == 1:
	case len(rest) == 3 && eqFold(rest[1], "COUNT"):
		v, ok := parseInt(rest[2])
		if !ok || v <= 0 {
			c.W.Error("ERR count should be greater than 0")
			return
		}
		count = v
	default:
		c.W.Error(ErrSyntax)
		return
	}
	for _, k := range keys {
		l, e, ok := c.getList(k)
		if !ok {
			return
		}
		if l == nil {
			continue
		}
		c.modify(string(k), e)
		m := int(min(count, int64(l.Len())))
		c.W.Array(2)
		c.W.Bulk(k)
		c.W.Array(m)
		for i := 0; i < m; i++ {
			c.W.Bulk(popOne(l, left))
		}
		c.deleteIfEmpty(k, e)
		return
	}
	c.W.NullArray()
}

// cmdBPop is BLPOP/BRPOP as applied: pop from the first non-empty key, or
// answer a null array (it never blocks here; see blocked.go).
func cmdBPop(c *Ctx, a [][]byte, left bool) {
	if _, errReply := lastTimeout(a); errReply != "" {
		c.W.Error(errReply)
		return
	}
	for _, k := range a[1 : len(a)-1] {
		l, e, ok := c.getList(k)
		if !ok {
			return
		}
		if l == nil {
			continue
		}
		c.modify(string(k), e)
		c.W.Array(2)
		c.W.Bulk(k)
		c.W.Bulk(popOne(l, left))
		c.deleteIfEmpty(k, e)
		return
	}
	c.W.NullArray()
}

func cmdBLMove(c *Ctx, a [][]byte) {
	from, ok1 := parseWhere(a[3])
	to, ok2 := parseWhere(a[4])
	if !ok1 || !ok2 {
		c.W.Error(ErrSyntax)
		return
	}
	if l, _, ok := c.getList(a[1]); !ok {
		return
	} else if l == nil {
		c.W.NullArray()
		return
	}
	c.move(a[1], a[2], from, to)
}

func cmdBRPopLPush(c *Ctx, a [][]byte) {
	if l, _, ok := c.getList(a[1]); !ok {
		return
	} else if l == nil {
		c.W.NullArray()
		return
	}
	c.move(a[1], a[2], false, true)
}
