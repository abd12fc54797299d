package cache

import (
	"math"
	"math/big"
	"strconv"
)

// Hash commands.
func hashCommands() []*Command {
	w, wd, r := FlagWrite|FlagFast, FlagWrite|FlagDenyOOM|FlagFast, FlagReadOnly|FlagFast
	key := func(name string, arity int, f Flag, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: 1, LastKey: 1, Step: 1, Group: "hash", Run: run}
	}
	return []*Command{
		key("hset", -4, wd, func(c *Ctx, a [][]byte) { hsetGeneric(c, a, "hset") }),
		key("hmset", -4, wd, func(c *Ctx, a [][]byte) { hsetGeneric(c, a, "hmset") }),
		key("hsetnx", 4, wd, cmdHSetNX),
		key("hget", 3, r, cmdHGet),
		key("hmget", -3, r, cmdHMGet),
		key("hdel", -3, w, cmdHDel),
		key("hlen", 2, r, cmdCardinality(KindHash)),
		key("hstrlen", 3, r, cmdHStrLen),
		key("hexists", 3, r, cmdHExists),
		key("hkeys", 2, FlagReadOnly, func(c *Ctx, a [][]byte) { hgetallGeneric(c, a, true, false) }),
		key("hvals", 2, FlagReadOnly, func(c *Ctx, a [][]byte) { hgetallGeneric(c, a, false, true) }),
		key("hgetall", 2, FlagReadOnly, func(c *Ctx, a [][]byte) { hgetallGeneric(c, a, true, true) }),
		key("hincrby", 4, wd, cmdHIncrBy),
		key("hincrbyfloat", 4, wd, cmdHIncrByFloat),
		key("hrandfield", -2, FlagReadOnly|FlagRandom, cmdHRandField),
		key("hscan", -3, FlagReadOnly|FlagRandom, cmdHScan),
	}
}

// hashOf returns key's hash, or nil if the key is missing; ok is false when
// the key holds another type (WRONGTYPE has been replied).
func hashOf(c *Ctx, key []byte) (e *entry, h *Hash, ok bool) {
	e, ok = c.lookupKind(key, KindHash)
	if !ok || e == nil {
		return nil, nil, ok
	}
	return e, e.obj.(*Hash), true
}

// hashForWrite readies key's hash for a change that is now certain to
// happen: an existing entry is announced with modify, a missing one created.
func hashForWrite(c *Ctx, key []byte, e *entry) *Hash {
	if e == nil {
		h := newHash()
		c.add(string(key), &entry{kind: KindHash, obj: h})
		return h
	}
	c.modify(string(key), e)
	return e.obj.(*Hash)
}

func hsetGeneric(c *Ctx, a [][]byte, name string) {
	if len(a)%2 != 0 {
		c.W.Error(WrongArity(name))
		return
	}
	e, _, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	h := hashForWrite(c, a[1], e)
	var created int64
	for i := 2; i < len(a); i += 2 {
		if h.Set(string(a[i]), append([]byte(nil), a[i+1]...)) {
			created++
		}
	}
	if name == "hmset" {
		c.W.Status("OK")
		return
	}
	c.W.Int(created)
}

func cmdHSetNX(c *Ctx, a [][]byte) {
	e, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	if h != nil && h.Has(a[2]) {
		c.W.Int(0)
		return
	}
	hashForWrite(c, a[1], e).Set(string(a[2]), append([]byte(nil), a[3]...))
	c.W.Int(1)
}

func cmdHGet(c *Ctx, a [][]byte) {
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	if h != nil {
		if v, has := h.Get(a[2]); has {
			c.W.Bulk(v)
			return
		}
	}
	c.W.Null()
}

func cmdHMGet(c *Ctx, a [][]byte) {
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	c.W.Array(len(a) - 2)
	for _, f := range a[2:] {
		if h != nil {
			if v, has := h.Get(f); has {
				c.W.Bulk(v)
				continue
			}
		}
		c.W.Null()
	}
}

func cmdHDel(c *Ctx, a [][]byte) {
	e, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	var n int64
	for _, f := range a[2:] {
		if h == nil || !h.Has(f) {
			continue
		}
		if n == 0 { // only a real change bumps the WATCH version
			c.modify(string(a[1]), e)
		}
		h.Delete(f)
		n++
	}
	if n > 0 {
		c.deleteIfEmpty(a[1], e)
	}
	c.W.Int(n)
}

func cmdHStrLen(c *Ctx, a [][]byte) {
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	var n int
	if h != nil {
		v, _ := h.Get(a[2])
		n = len(v)
	}
	c.W.Int(int64(n))
}

func cmdHExists(c *Ctx, a [][]byte) {
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	if h != nil && h.Has(a[2]) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

// hgetallGeneric serves HKEYS, HVALS and HGETALL (a map in RESP3).
func hgetallGeneric(c *Ctx, a [][]byte, keys, vals bool) {
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if keys && vals {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f string, v []byte) bool {
		if keys {
			c.W.BulkString(f)
		}
		if vals {
			c.W.Bulk(v)
		}
		return true
	})
}

func cmdHIncrBy(c *Ctx, a [][]byte) {
	incr, ok := parseInt(a[3])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	e, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	var cur int64
	if h != nil {
		if v, has := h.Get(a[2]); has {
			if cur, ok = parseInt(v); !ok {
				c.W.Error("ERR hash value is not an integer")
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.W.Error(ErrOverflow)
		return
	}
	n := cur + incr
	hashForWrite(c, a[1], e).Set(string(a[2]), strconv.AppendInt(nil, n, 10))
	c.W.Int(n)
}

// cmdHIncrByFloat computes in long double as Redis does (see
// parseLongDouble in cmd_string_num.go), so 0.1 + 0.2 answers "0.3".
func cmdHIncrByFloat(c *Ctx, a [][]byte) {
	incr, ok := parseLongDouble(a[3])
	if !ok {
		c.W.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.W.Error("ERR value is NaN or Infinity")
		return
	}
	e, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(ldPrec)
	if h != nil {
		if v, has := h.Get(a[2]); has {
			if cur, ok = parseLongDouble(v); !ok {
				c.W.Error("ERR hash value is not a float")
				return
			}
		}
	}
	sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
	if cur.IsInf() || sum.Add(cur, incr).Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		c.W.Error("ERR increment would produce NaN or Infinity")
		return
	}
	s := formatLongDouble(sum)
	hashForWrite(c, a[1], e).Set(string(a[2]), []byte(s))
	c.W.BulkString(s)
}

func cmdHScan(c *Ctx, a [][]byte) {
	cursor, match, count, _, ok := parseScanArgs(c, a[2:])
	if !ok {
		return
	}
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	var out []hashPair
	var next uint64
	keep := func(f string, v []byte) {
		if match == "*" || Glob(match, f, false) {
			out = append(out, hashPair{f, v})
		}
	}
	switch {
	case h == nil:
	case h.big == nil: // small encodings answer in one call, as Redis does
		h.Each(func(f string, v []byte) bool { keep(f, v); return true })
	default:
		next = h.big.Scan(cursor, count, keep)
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(2 * len(out))
	for _, p := range out {
		c.W.BulkString(p.field)
		c.W.Bulk(p.value)
	}
}

// Redis bounds counts to ±LONG_MAX, and to half that WITHVALUES (the reply
// has two elements per field).
const errCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

func cmdHRandField(c *Ctx, a [][]byte) {
	if len(a) == 2 {
		_, h, ok := hashOf(c, a[1])
		if !ok {
			return
		}
		if h == nil {
			c.W.Null()
			return
		}
		f, _ := h.Random(c.Rand())
		c.W.BulkString(f)
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
	if len(a) > 4 || (len(a) == 4 && !eqFold(a[3], "WITHVALUES")) {
		c.W.Error(ErrSyntax)
		return
	}
	withValues := len(a) == 4
	if withValues && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.W.Error("ERR value is out of range")
		return
	}
	_, h, ok := hashOf(c, a[1])
	if !ok {
		return
	}
	if h == nil || count == 0 {
		c.W.Array(0)
		return
	}
	resp3 := c.W.Proto() >= 3
	header := func(n int) {
		switch {
		case withValues && !resp3:
			c.W.Array(2 * n)
		default:
			c.W.Array(n)
		}
	}
	emit := func(f string, v []byte) {
		if withValues && resp3 {
			c.W.Array(2) // RESP3: an array of [field, value] pairs
		}
		c.W.BulkString(f)
		if withValues {
			c.W.Bulk(v)
		}
	}
	r := c.Rand()
	if count < 0 { // repetitions allowed: exactly -count picks
		n := -count
		data, bulks := h.keys, 1
		if withValues {
			data, bulks = h.bytes, 2
		}
		if !randCountFits(c, uint64(n), data, h.Len(), bulks) {
			return
		}
		header(int(n))
		for i := int64(0); i < n; i++ {
			emit(h.Random(r))
		}
		return
	}
	picked := h.sample(r, int(min(count, int64(h.Len()))))
	header(len(picked))
	for _, p := range picked {
		emit(p.field, p.value)
	}
}
