package cache

import (
	"bytes"
	"math"
	"time"
)

// The commands that pop from one list and push to another or pop from the
// first of several lists, and their blocking forms.
//
// A blocking command's Run is its applied form: it runs when ExecBlocking
// found (or was woken for) data, inside MULTI, and on replay, and it never
// blocks. With nothing to take it answers as Redis does on timeout (a null
// array), except inside MULTI or a script, where BLMOVE and BRPOPLPUSH answer
// a null bulk string as Redis 7.0 does. BlockTimeout validates every argument
// in Redis's order before the client waits, so a syntax error is answered at
// once instead of after the wait.
func listMoveCommands() []*Command {
	blk := FlagWrite | FlagNoScript | FlagBlocking
	src := func([][]byte) []int { return []int{1} }
	return []*Command{
		{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list", Run: cmdLMove},
		{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list",
			Run: func(c *Ctx, a [][]byte) { c.listMove(a[1], a[2], false, true, false) }},
		{Name: "lmpop", Arity: -4, Flags: FlagWrite, KeysFn: mpopKeys(1), Group: "list", Run: cmdLMPop},
		{Name: "blpop", Arity: -3, Flags: blk, FirstKey: 1, LastKey: -2, Step: 1, Group: "list",
			Run: func(c *Ctx, a [][]byte) { cmdBPop(c, a, true) }, BlockTimeout: lastTimeout, BlockKind: KindList},
		{Name: "brpop", Arity: -3, Flags: blk, FirstKey: 1, LastKey: -2, Step: 1, Group: "list",
			Run: func(c *Ctx, a [][]byte) { cmdBPop(c, a, false) }, BlockTimeout: lastTimeout, BlockKind: KindList},
		{Name: "blmove", Arity: 6, Flags: blk | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list",
			Run: cmdBLMove, BlockKeys: src, BlockTimeout: blmoveTimeout, BlockKind: KindList},
		{Name: "brpoplpush", Arity: 4, Flags: blk | FlagDenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "list",
			Run: cmdBRPopLPush, BlockKeys: src, BlockTimeout: lastTimeout, BlockKind: KindList},
		{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, KeysFn: mpopKeys(2), Group: "list",
			Run: cmdBLMPop, BlockTimeout: blmpopTimeout, BlockKind: KindList},
	}
}

// parseTimeout parses a blocking timeout in seconds as Redis does: a float
// cut to whole milliseconds (so 0.0001 means "forever", like 0), with
// Redis's texts for the errors. Values that overflow Redis's 64-bit
// milliseconds (inf included) are "negative" there, and are here too.
// nowMs bounds the deadline as Redis's does.
func parseTimeout(b []byte, nowMs int64) (time.Duration, string) {
	f, ok := parseFloat(b)
	if !ok {
		return 0, errTimeoutNaN
	}
	ms := f * 1000
	if math.IsInf(ms, 0) || ms >= math.MaxInt64 || ms <= math.MinInt64 {
		return 0, errTimeoutNeg
	}
	t := int64(ms)
	if t < 0 {
		return 0, errTimeoutNeg
	}
	if t > 0 && t > math.MaxInt64-nowMs {
		return 0, errTimeoutBig
	}
	if t > int64(math.MaxInt64/time.Millisecond) {
		return 0, "" // beyond what a Duration holds: forever, in effect
	}
	return time.Duration(t) * time.Millisecond, ""
}

func lastTimeout(a [][]byte) (time.Duration, string) {
	return parseTimeout(a[len(a)-1], time.Now().UnixMilli())
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

func blmoveTimeout(a [][]byte) (time.Duration, string) {
	if _, ok := parseWhere(a[3]); !ok {
		return 0, ErrSyntax
	}
	if _, ok := parseWhere(a[4]); !ok {
		return 0, ErrSyntax
	}
	return lastTimeout(a)
}

// listMove pops from src and pushes to dst (LMOVE, RPOPLPUSH and their
// blocking forms), replying with the element. A missing src answers a null
// bulk string, or a null array for a served blocking command outside MULTI.
func (c *Ctx) listMove(src, dst []byte, fromLeft, toLeft, blocking bool) {
	l, e, ok := c.getList(src)
	if !ok {
		return
	}
	if l == nil {
		if blocking && !c.inMulti && !c.inScript {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	dl, de, ok := c.getList(dst)
	if !ok {
		return
	}
	c.modify(string(src), e)
	v := popOne(l, fromLeft)
	if bytes.Equal(src, dst) {
		dl, de = l, e // rotation: the list is never empty in between
	} else {
		c.deleteIfEmpty(src, e)
		dl = c.listForPush(dst, dl, de, 1)
	}
	if toLeft {
		dl.PushFront(v)
	} else {
		dl.PushBack(v)
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
	c.listMove(a[1], a[2], from, to, false)
}

func cmdBLMove(c *Ctx, a [][]byte) {
	from, ok1 := parseWhere(a[3])
	to, ok2 := parseWhere(a[4])
	if !ok1 || !ok2 {
		c.W.Error(ErrSyntax)
		return
	}
	if _, errReply := parseTimeout(a[5], c.Now); errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.listMove(a[1], a[2], from, to, true)
}

func cmdBRPopLPush(c *Ctx, a [][]byte) {
	if _, errReply := parseTimeout(a[3], c.Now); errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.listMove(a[1], a[2], false, true, true)
}

// cmdBPop is BLPOP/BRPOP as applied: pop from the first non-empty list and
// answer [key, element], or a null array.
func cmdBPop(c *Ctx, a [][]byte, left bool) {
	if _, errReply := parseTimeout(a[len(a)-1], c.Now); errReply != "" {
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

// mpopArgs are the parsed arguments of LMPOP and BLMPOP.
type mpopArgs struct {
	keys  [][]byte
	left  bool
	count int64
}

// parseMPop parses "numkeys key… LEFT|RIGHT [COUNT n]" starting at a[at],
// in Redis's order, returning the error reply on failure.
func parseMPop(a [][]byte, at int) (mpopArgs, string) {
	var m mpopArgs
	n, ok := parseInt(a[at])
	if !ok || n <= 0 {
		return m, errNumKeys
	}
	where := int64(at) + n + 1
	if n >= int64(len(a)) || where >= int64(len(a)) {
		return m, ErrSyntax
	}
	m.keys = a[at+1 : where]
	if m.left, ok = parseWhere(a[where]); !ok {
		return m, ErrSyntax
	}
	m.count = -1
	for j := int(where) + 1; j < len(a); j++ {
		if m.count != -1 || !eqFold(a[j], "COUNT") || j+1 >= len(a) {
			return m, ErrSyntax
		}
		j++
		if m.count, ok = parseInt(a[j]); !ok || m.count <= 0 {
			return m, errCountZero
		}
	}
	m.count = max(m.count, 1)
	return m, ""
}

// mpopKeys locates the keys of LMPOP (numkeys at position at) and BLMPOP;
// nil when numkeys is malformed, which the command itself reports.
func mpopKeys(at int) func([][]byte) []int {
	return func(a [][]byte) []int {
		if len(a) <= at {
			return nil
		}
		n, ok := parseInt(a[at])
		if !ok || n <= 0 || n > int64(len(a)-at-1) {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = at + 1 + i
		}
		return out
	}
}

// mpop pops up to m.count elements from the first non-empty list and answers
// [key, [elements]], or a null array when every list is empty.
func (c *Ctx) mpop(m mpopArgs) {
	for _, k := range m.keys {
		l, e, ok := c.getList(k)
		if !ok {
			return
		}
		if l == nil {
			continue
		}
		c.modify(string(k), e)
		n := int(min(m.count, int64(l.Len())))
		c.W.Array(2)
		c.W.Bulk(k)
		c.W.Array(n)
		for range n {
			c.W.Bulk(popOne(l, m.left))
		}
		c.deleteIfEmpty(k, e)
		return
	}
	c.W.NullArray()
}

func cmdLMPop(c *Ctx, a [][]byte) {
	m, errReply := parseMPop(a, 1)
	if errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.mpop(m)
}

func cmdBLMPop(c *Ctx, a [][]byte) {
	m, errReply := parseMPop(a, 2)
	if errReply == "" {
		_, errReply = parseTimeout(a[1], c.Now)
	}
	if errReply != "" {
		c.W.Error(errReply)
		return
	}
	c.mpop(m)
}

func blmpopTimeout(a [][]byte) (time.Duration, string) {
	if _, errReply := parseMPop(a, 2); errReply != "" {
		return 0, errReply
	}
	return parseTimeout(a[1], time.Now().UnixMilli())
}
