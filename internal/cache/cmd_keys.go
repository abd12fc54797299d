package cache

import (
	"bytes"
	"strconv"
	"strings"
)

// Generic key commands: the ones that work on a key whatever its type.
// Expiry lives in cmd_keys_expire.go, RENAME/COPY/MOVE in cmd_keys_move.go,
// OBJECT/DUMP/RESTORE in cmd_keys_object.go.
func keyCommands() []*Command {
	const ro, w, fast = FlagReadOnly, FlagWrite, FlagFast
	keys := func(name string, arity int, flags Flag, first, last int, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "keyspace", Run: run}
	}
	noKeys := func(name string, arity int, flags Flag, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, Group: "keyspace", Run: run}
	}
	return []*Command{
		keys("del", -2, w, 1, -1, cmdDel),
		keys("unlink", -2, w|fast, 1, -1, cmdDel),
		keys("exists", -2, ro|fast, 1, -1, cmdExists),
		keys("touch", -2, ro|fast, 1, -1, cmdTouch),
		keys("type", 2, ro|fast, 1, 1, cmdType),
		noKeys("keys", 2, ro, cmdKeys),
		noKeys("scan", -2, ro|FlagRandom, cmdScan),
		noKeys("randomkey", 1, ro|FlagRandom, cmdRandomKey),

		keys("expire", -3, w|fast, 1, 1, expireCmd("expire", 1000, false)),
		keys("pexpire", -3, w|fast, 1, 1, expireCmd("pexpire", 1, false)),
		keys("expireat", -3, w|fast, 1, 1, expireCmd("expireat", 1000, true)),
		keys("pexpireat", -3, w|fast, 1, 1, expireCmd("pexpireat", 1, true)),
		keys("ttl", 2, ro|fast, 1, 1, ttlCmd(false, false)),
		keys("pttl", 2, ro|fast, 1, 1, ttlCmd(true, false)),
		keys("expiretime", 2, ro|fast, 1, 1, ttlCmd(false, true)),
		keys("pexpiretime", 2, ro|fast, 1, 1, ttlCmd(true, true)),
		keys("persist", 2, w|fast, 1, 1, cmdPersist),

		keys("rename", 3, w, 1, 2, func(c *Ctx, a [][]byte) { renameGeneric(c, a, false) }),
		keys("renamenx", 3, w|fast, 1, 2, func(c *Ctx, a [][]byte) { renameGeneric(c, a, true) }),
		keys("copy", -3, w|FlagDenyOOM, 1, 2, cmdCopy),
		keys("move", 3, w|fast, 1, 1, cmdMove),

		{Name: "object", Arity: -2, Group: "keyspace", KeysFn: objectKeys, Run: cmdObject},
		keys("dump", 2, ro, 1, 1, cmdDump),
		keys("restore", -4, w|FlagDenyOOM, 1, 1, cmdRestore),
	}
}

// peekLive returns the live entry under key without touching its access
// clock — Redis's LOOKUP_NOTOUCH, used by the commands that inspect a key
// (EXISTS, TYPE, TTL, OBJECT) so that looking at a key does not make it
// recently used. Expired keys are invisible, as with lookup.
func (c *Ctx) peekLive(key []byte) *entry {
	e := c.db.peek(string(key))
	if e == nil || (e.exp != 0 && e.exp <= c.Now) {
		return nil
	}
	return e
}

func cmdDel(c *Ctx, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if c.del(k) {
			n++
		}
	}
	c.W.Int(n)
}

// cmdExists counts every argument that names a live key, duplicates included.
func cmdExists(c *Ctx, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if c.peekLive(k) != nil {
			n++
		}
	}
	c.W.Int(n)
}

// cmdTouch is EXISTS that does update the access clock: that is its point.
func cmdTouch(c *Ctx, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if c.lookup(k) != nil {
			n++
		}
	}
	c.W.Int(n)
}

func cmdType(c *Ctx, a [][]byte) {
	if e := c.peekLive(a[1]); e != nil {
		c.W.Status(e.kind.String())
		return
	}
	c.W.Status("none")
}

func (c *Ctx) unexpired(e *entry) bool { return e.exp == 0 || e.exp > c.Now }

func cmdKeys(c *Ctx, a [][]byte) {
	pattern := string(a[1])
	all := pattern == "*"
	var out []string
	for k, e := range c.db.keys.All() {
		if (all || Glob(pattern, k, false)) && c.unexpired(e) {
			out = append(out, k)
		}
	}
	c.W.Array(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// cmdRandomKey draws keys until it finds a live one. Redis deletes the
// expired keys it draws; here RANDOMKEY is a read, so it skips them, and if a
// database is mostly expired keys it falls back to sampling the live ones
// uniformly in one pass rather than drawing forever.
func cmdRandomKey(c *Ctx, _ [][]byte) {
	r := c.Rand()
	for range 100 {
		k, e, ok := c.db.keys.Random(r)
		if !ok {
			c.W.Null()
			return
		}
		if c.unexpired(e) {
			c.W.BulkString(k)
			return
		}
	}
	var pick string
	n := 0
	for k, e := range c.db.keys.All() {
		if c.unexpired(e) {
			if n++; r.IntN(n) == 0 {
				pick = k
			}
		}
	}
	if n == 0 {
		c.W.Null()
		return
	}
	c.W.BulkString(pick)
}

func cmdScan(c *Ctx, a [][]byte) {
	cursor, match, count, typ, ok := parseScanOptions(c, a[1:], true)
	if !ok {
		return
	}
	var out []string
	next := c.db.keys.Scan(cursor, count, func(k string, e *entry) {
		if match != "*" && !Glob(match, k, false) {
			return
		}
		if typ != "" && !strings.EqualFold(typ, e.kind.String()) {
			return
		}
		if c.unexpired(e) {
			out = append(out, k)
		}
	})
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// parseScanArgs parses the arguments of HSCAN, SSCAN and ZSCAN from the
// cursor on: cursor [MATCH pattern] [COUNT count]. match is "*" when no
// MATCH was given (Glob("*", x) is always true); count defaults to 10. TYPE
// is SCAN's alone and is a syntax error here, so typ is always "". On a bad
// argument it replies Redis's error and returns ok == false.
func parseScanArgs(c *Ctx, args [][]byte) (cursor uint64, match string, count int, typ string, ok bool) {
	return parseScanOptions(c, args, false)
}

func parseScanOptions(c *Ctx, args [][]byte, allowType bool) (cursor uint64, match string, count int, typ string, ok bool) {
	if len(args) == 0 {
		c.W.Error(ErrSyntax)
		return 0, "", 0, "", false
	}
	if cursor, ok = parseCursor(args[0]); !ok {
		c.W.Error("ERR invalid cursor")
		return 0, "", 0, "", false
	}
	match, count = "*", 10
	for i := 1; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.W.Error(ErrSyntax)
			return 0, "", 0, "", false
		}
		switch opt, val := args[i], args[i+1]; {
		case eqFold(opt, "COUNT"):
			n, isInt := parseInt(val)
			if !isInt {
				c.W.Error(ErrNotInt)
				return 0, "", 0, "", false
			}
			if n < 1 {
				c.W.Error(ErrSyntax)
				return 0, "", 0, "", false
			}
			count = int(n)
		case eqFold(opt, "MATCH"):
			match = string(val)
		case eqFold(opt, "TYPE") && allowType:
			typ = string(val)
		default:
			c.W.Error(ErrSyntax)
			return 0, "", 0, "", false
		}
	}
	return cursor, match, count, typ, true
}

// parseCursor parses a SCAN cursor as Redis's strtoul-based parser does: an
// optional sign (a negative cursor wraps around), decimal digits, nothing
// after them; the empty string is cursor 0 and leading space is refused.
func parseCursor(b []byte) (uint64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i] // C string semantics: the argument ends at a NUL
	}
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}
