package cache

import (
	"fmt"
	"math"
	"strings"
)

// String commands: GET/SET and their variants. Counters are in
// cmd_string_num.go, ranges and LCS in cmd_string_range.go, bitmaps in
// cmd_bits.go and cmd_string_bitfield.go.

// maxStringLen is proto-max-bulk-len's default: the largest string a command
// may build (APPEND, SETRANGE, SETBIT and BITFIELD offsets).
const maxStringLen = 512 << 20

func stringCommands() []*Command {
	cmd := func(name string, arity int, flags Flag, first, last, step int, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: step, Group: "string", Run: run}
	}
	const (
		r  = FlagReadOnly
		rf = FlagReadOnly | FlagFast
		w  = FlagWrite | FlagDenyOOM
		wf = FlagWrite | FlagDenyOOM | FlagFast
	)
	cmds := []*Command{
		cmd("get", 2, rf, 1, 1, 1, cmdGet),
		cmd("set", -3, w, 1, 1, 1, cmdSet),
		cmd("setnx", 3, wf, 1, 1, 1, cmdSetnx),
		cmd("setex", 4, w, 1, 1, 1, cmdSetex),
		cmd("psetex", 4, w, 1, 1, 1, cmdSetex),
		cmd("getex", -2, FlagWrite|FlagFast, 1, 1, 1, cmdGetex),
		cmd("getdel", 2, FlagWrite|FlagFast, 1, 1, 1, cmdGetdel),
		cmd("getset", 3, wf, 1, 1, 1, cmdGetset),
		cmd("mget", -2, rf, 1, -1, 1, cmdMget),
		cmd("mset", -3, w, 1, -1, 2, cmdMset),
		cmd("msetnx", -3, w, 1, -1, 2, cmdMset),
		cmd("incr", 2, wf, 1, 1, 1, cmdIncr),
		cmd("decr", 2, wf, 1, 1, 1, cmdIncr),
		cmd("incrby", 3, wf, 1, 1, 1, cmdIncrby),
		cmd("decrby", 3, wf, 1, 1, 1, cmdIncrby),
		cmd("incrbyfloat", 3, wf, 1, 1, 1, cmdIncrbyfloat),
		cmd("append", 3, wf, 1, 1, 1, cmdAppend),
		cmd("strlen", 2, rf, 1, 1, 1, cmdStrlen),
		cmd("getrange", 4, r, 1, 1, 1, cmdGetrange),
		cmd("substr", 4, r, 1, 1, 1, cmdGetrange),
		cmd("setrange", 4, w, 1, 1, 1, cmdSetrange),
		cmd("lcs", -3, r, 1, 2, 1, cmdLcs),
	}
	return append(cmds, bitCommands()...)
}

// stringEncoding is what OBJECT ENCODING answers for a string value.
func stringEncoding(e *entry) string {
	if len(e.str) <= 20 {
		if _, ok := parseInt(e.str); ok {
			return "int"
		}
	}
	if len(e.str) <= 44 {
		return "embstr"
	}
	return "raw"
}

// ownBytes copies a request argument to a buffer of exactly its size: the
// keyspace never aliases request buffers, and memSize counts cap.
func ownBytes(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// storeString makes v (owned, never aliased) the string value of key with
// absolute expiry exp (0: none). An existing string entry is changed in place
// so that its LFU/LRU history survives, as Redis's dbOverwrite keeps it; any
// other existing value is replaced.
func storeString(c *Ctx, key []byte, old *entry, v []byte, exp int64) *entry {
	if old != nil && old.kind == KindString {
		k := string(key)
		c.modify(k, old)
		old.str = v
		if old.exp != exp {
			c.setExpire(k, old, exp)
		}
		return old
	}
	e := &entry{kind: KindString, str: v, exp: exp}
	c.add(string(key), e)
	return e
}

func cmdGet(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(e.str)
}

// SET option flags, as Redis's parseExtendedStringArgumentsOrReply tracks them.
const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setPersist
	setEX
	setPX
	setEXAT
	setPXAT

	setExpire = setEX | setPX | setEXAT | setPXAT
)

// setOpts are the parsed options of SET (or GETEX, getex true).
type setOpts struct {
	flags  int
	expArg []byte
}

// parseSetOptions parses SET's or GETEX's trailing options with Redis's
// exclusion rules: a repeated EX is accepted (the last wins) but EX with PX
// is a syntax error, and so on.
func parseSetOptions(a [][]byte, getex bool) (setOpts, bool) {
	var o setOpts
	for j := 0; j < len(a); j++ {
		opt, more := a[j], j+1 < len(a)
		var f, excl int
		switch {
		case !getex && eqFold(opt, "NX"):
			f, excl = setNX, setXX
		case !getex && eqFold(opt, "XX"):
			f, excl = setXX, setNX
		case !getex && eqFold(opt, "GET"):
			f = setGet
		case !getex && eqFold(opt, "KEEPTTL"):
			f, excl = setKeepTTL, setPersist|setExpire
		case getex && eqFold(opt, "PERSIST"):
			f, excl = setPersist, setKeepTTL|setExpire
		case eqFold(opt, "EX") && more:
			f, excl = setEX, setKeepTTL|setPersist|setExpire&^setEX
		case eqFold(opt, "PX") && more:
			f, excl = setPX, setKeepTTL|setPersist|setExpire&^setPX
		case eqFold(opt, "EXAT") && more:
			f, excl = setEXAT, setKeepTTL|setPersist|setExpire&^setEXAT
		case eqFold(opt, "PXAT") && more:
			f, excl = setPXAT, setKeepTTL|setPersist|setExpire&^setPXAT
		default:
			return o, false
		}
		if o.flags&excl != 0 {
			return o, false
		}
		o.flags |= f
		if f&setExpire != 0 {
			o.expArg = a[j+1]
			j++
		}
	}
	return o, true
}

// expireAt converts the expire option to absolute unix ms at c.Now, or
// replies Redis's error naming cmd.
func (o *setOpts) expireAt(c *Ctx, cmd string) (int64, bool) {
	n, ok := parseInt(o.expArg)
	if !ok {
		c.W.Error(ErrNotInt)
		return 0, false
	}
	seconds := o.flags&(setEX|setEXAT) != 0
	if n <= 0 || (seconds && n > math.MaxInt64/1000) {
		c.W.Error(fmt.Sprintf(ErrInvalidExp, cmd))
		return 0, false
	}
	if seconds {
		n *= 1000
	}
	if o.flags&(setEX|setPX) != 0 {
		if n > math.MaxInt64-c.Now {
			c.W.Error(fmt.Sprintf(ErrInvalidExp, cmd))
			return 0, false
		}
		n += c.Now
	}
	return n, true
}

func cmdSet(c *Ctx, a [][]byte) {
	o, ok := parseSetOptions(a[3:], false)
	if !ok {
		c.W.Error(ErrSyntax)
		return
	}
	setGeneric(c, "set", a[1], a[2], o, false)
}

func cmdSetnx(c *Ctx, a [][]byte) {
	setGeneric(c, "setnx", a[1], a[2], setOpts{flags: setNX}, true)
}

// cmdSetex is SETEX and PSETEX. Valid calls were rewritten to SET … PXAT
// before logging; this path answers the errors, and replays old entries.
func cmdSetex(c *Ctx, a [][]byte) {
	name := strings.ToLower(string(a[0]))
	o := setOpts{flags: setEX, expArg: a[2]}
	if name == "psetex" {
		o.flags = setPX
	}
	setGeneric(c, name, a[1], a[3], o, false)
}

// setGeneric is Redis's setGenericCommand: validate the expiry, reply the old
// value for GET, honour NX/XX, store, then apply the expiry. intReply selects
// SETNX's :1/:0 instead of +OK/null.
func setGeneric(c *Ctx, name string, key, val []byte, o setOpts, intReply bool) {
	var exp int64
	if o.flags&setExpire != 0 {
		var ok bool
		if exp, ok = o.expireAt(c, name); !ok {
			return
		}
	}
	old := c.lookup(key)
	get := o.flags&setGet != 0
	if get {
		switch {
		case old == nil:
			c.W.Null()
		case old.kind != KindString:
			c.W.Error(ErrWrongType)
			return
		default:
			c.W.Bulk(old.str)
		}
	}
	if (o.flags&setNX != 0 && old != nil) || (o.flags&setXX != 0 && old == nil) {
		switch {
		case get:
		case intReply:
			c.W.Int(0)
		default:
			c.W.Null()
		}
		return
	}
	if o.flags&setKeepTTL != 0 && old != nil {
		exp = old.exp
	}
	e := storeString(c, key, old, ownBytes(val), exp)
	if exp != 0 && exp <= c.Now {
		// EXAT/PXAT in the past: the key is gone at once, yet SET answers
		// as if it had been stored.
		c.deleteEntry(string(key), e)
	}
	switch {
	case get:
	case intReply:
		c.W.Int(1)
	default:
		c.W.Status("OK")
	}
}

func cmdGetex(c *Ctx, a [][]byte) {
	o, ok := parseSetOptions(a[2:], true)
	if !ok {
		c.W.Error(ErrSyntax)
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	var exp int64
	if o.flags&setExpire != 0 {
		if exp, ok = o.expireAt(c, "getex"); !ok {
			return
		}
	}
	c.W.Bulk(e.str)
	key := string(a[1])
	switch {
	case exp != 0 && exp <= c.Now:
		c.deleteEntry(key, e)
	case exp != 0:
		c.modify(key, e)
		c.setExpire(key, e, exp)
	case o.flags&setPersist != 0 && e.exp != 0:
		c.modify(key, e)
		c.setExpire(key, e, 0)
	}
}

func cmdGetdel(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(e.str)
	c.deleteEntry(string(a[1]), e)
}

func cmdGetset(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
	} else {
		c.W.Bulk(e.str)
	}
	storeString(c, a[1], e, ownBytes(a[2]), 0)
}

func cmdMget(c *Ctx, a [][]byte) {
	c.W.Array(len(a) - 1)
	for _, k := range a[1:] {
		if e := c.lookup(k); e != nil && e.kind == KindString {
			c.W.Bulk(e.str)
		} else {
			c.W.Null()
		}
	}
}

// cmdMset is MSET and MSETNX (which sets nothing if any key exists).
func cmdMset(c *Ctx, a [][]byte) {
	name := strings.ToLower(string(a[0]))
	if len(a)%2 == 0 {
		c.W.Error(WrongArity(name))
		return
	}
	nx := name == "msetnx"
	if nx {
		for j := 1; j < len(a); j += 2 {
			if c.lookup(a[j]) != nil {
				c.W.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(a); j += 2 {
		storeString(c, a[j], c.lookup(a[j]), ownBytes(a[j+1]), 0)
	}
	if nx {
		c.W.Int(1)
	} else {
		c.W.Status("OK")
	}
}
