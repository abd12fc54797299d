package cache

import (
	"math/rand/v2"
	"strings"
	"time"
)

// Flag describes a command, as COMMAND INFO reports it.
type Flag uint32

const (
	FlagWrite    Flag = 1 << iota // changes the keyspace: logged, applied in log order
	FlagReadOnly                  // reads the keyspace only
	FlagDenyOOM                   // refused with -OOM above maxmemory under noeviction
	FlagAdmin
	FlagPubSub
	FlagNoScript // not callable from Lua
	FlagLoading
	FlagStale
	FlagFast
	FlagBlocking
	FlagRandom    // output depends on the entry's seed
	FlagNoMulti   // refused inside MULTI
	FlagConn      // a connection command handled by the front-end, listed here for COMMAND
	FlagMayReplic // Redis's "may_replicate"
)

// FlagNames are Redis's names for the flags, in COMMAND INFO order.
var FlagNames = []struct {
	F    Flag
	Name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagLoading, "loading"}, {FlagStale, "stale"}, {FlagFast, "fast"},
	{FlagBlocking, "blocking"}, {FlagMayReplic, "may_replicate"},
}

// Command is one entry of the command table.
type Command struct {
	Name  string // lower case
	Arity int    // as Redis: ≥0 exact, <0 at least -Arity (the name counts)
	Flags Flag
	// FirstKey, LastKey and Step locate the key arguments (LastKey -1: to the
	// end) as in COMMAND INFO; KeysFn overrides them for variadic forms.
	FirstKey, LastKey, Step int
	KeysFn                  func(args [][]byte) []int
	Group                   string // the ACL category: "string", "list", "generic"…
	Run                     func(c *Ctx, args [][]byte)
	// Blocking commands: BlockKeys are the keys whose becoming non-empty
	// wakes the client (default: Keys); BlockTimeout parses the timeout (0:
	// forever) or returns an error reply.
	BlockKeys    func(args [][]byte) []int
	BlockTimeout func(args [][]byte) (time.Duration, string)
	// BlockKind is the kind of value that serves a blocked client: a key
	// of another kind made ready does not wake it (as in Redis, a BLPOP
	// waiter sleeps through a ZADD to its key). KindNone: any kind.
	BlockKind Kind
	// Prepare, if set, rewrites a write's arguments before it is logged
	// (EVALSHA becomes EVAL with the script body), or returns an error reply.
	// It runs without the engine lock held.
	Prepare func(e *Engine, args [][]byte) ([][]byte, string)
}

// Keys returns the positions of the key arguments in args (args[0] is the name).
func (cmd *Command) Keys(args [][]byte) []int {
	if cmd.KeysFn != nil {
		return cmd.KeysFn(args)
	}
	if cmd.FirstKey == 0 {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last = len(args) + last
	}
	step := max(cmd.Step, 1)
	var out []int
	for i := cmd.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// CheckArity reports whether n arguments (the name included) suit the command.
func (cmd *Command) CheckArity(n int) bool {
	if cmd.Arity >= 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// Ctx is what a command runs with: the database, "now" and randomness from
// the log entry being applied (or the clock, for reads), and the reply.
type Ctx struct {
	e    *Engine
	ks   *Keyspace
	db   *db
	Now  int64 // unix ms; the entry's timestamp during apply
	seed uint64
	rng  *rand.Rand
	W    Reply
	// applying is true while a logged entry is applied: only then may a
	// command change the keyspace.
	applying bool
	touched  []touch
	// Scripting: set while a script runs, so commands know they must not block.
	inScript bool
	inMulti  bool
	lfu      bool // maxmemory-policy is an LFU one: lookups update the counter
	// Keyspace hits and misses of a read command, added to the engine's
	// counters once it has run (INFO keyspace_hits/misses).
	hits, misses int64
}

type touch struct {
	e      *entry
	before int64
}

// DB is the index of the database the command runs against.
func (c *Ctx) DB() int { return c.db.id }

// Rand returns the entry-seeded generator: every replica draws the same numbers.
func (c *Ctx) Rand() *rand.Rand {
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(c.seed, c.seed^0x9e3779b97f4a7c15))
	}
	return c.rng
}

// lookup returns the live entry under key, or nil. An expired key is treated
// as missing; during apply it is also deleted, deterministically at c.Now.
func (c *Ctx) lookup(key []byte) *entry {
	e := c.db.peek(string(key))
	if e == nil {
		c.misses++
		return nil
	}
	if e.exp != 0 && e.exp <= c.Now {
		if c.applying {
			c.deleteEntry(string(key), e)
		}
		c.misses++
		return nil
	}
	c.hits++
	if c.lfu {
		lfuTouch(e, c.Now)
	}
	e.access.Store(lruClock(c.Now))
	return e
}

// cmdCardinality is LLEN, HLEN, SCARD and ZCARD: the number of elements of
// the aggregate of kind k under the key, 0 for a missing key.
func cmdCardinality(k Kind) func(*Ctx, [][]byte) {
	return func(c *Ctx, a [][]byte) {
		switch e, ok := c.lookupKind(a[1], k); {
		case !ok: // WRONGTYPE already answered
		case e == nil:
			c.W.Int(0)
		default:
			c.W.Int(int64(e.obj.Len()))
		}
	}
}

// lookupKind returns the entry under key if it exists and has kind k. If it
// exists with another kind, it replies WRONGTYPE and returns ok == false.
func (c *Ctx) lookupKind(key []byte, k Kind) (e *entry, ok bool) {
	e = c.lookup(key)
	if e != nil && e.kind != k {
		c.W.Error(ErrWrongType)
		return nil, false
	}
	return e, true
}

// modify must be called before an existing entry is changed in place: it lets
// a running snapshot capture the old value, bumps the WATCH version and starts
// the memory accounting of the change.
func (c *Ctx) modify(key string, e *entry) {
	if !c.applying {
		panic("cache: write outside apply")
	}
	c.ks.captureForSnapshot(c.db, key, e)
	e.ver = c.ks.nextVer()
	for _, t := range c.touched {
		if t.e == e {
			return
		}
	}
	c.touched = append(c.touched, touch{e: e, before: e.memSize()})
}

// add stores a new entry under key, replacing (and deleting) any old one.
func (c *Ctx) add(key string, e *entry) {
	if !c.applying {
		panic("cache: write outside apply")
	}
	if old := c.db.peek(key); old != nil {
		c.deleteEntry(key, old)
	}
	c.ks.markNew(e)
	e.ver = c.ks.nextVer()
	e.hits.Store(lfuInit)
	e.access.Store(lruClock(c.Now))
	c.db.keys.Set(key, e)
	if e.exp != 0 {
		c.db.volatile.Set(key, e)
	}
	c.ks.used += int64(len(key))
	c.touched = append(c.touched, touch{e: e, before: 0})
}

// deleteEntry removes key, whose entry is e.
func (c *Ctx) deleteEntry(key string, e *entry) {
	c.ks.captureForSnapshot(c.db, key, e)
	size := e.memSize()
	for i, t := range c.touched {
		if t.e == e {
			size = t.before
			c.touched = append(c.touched[:i], c.touched[i+1:]...)
			break
		}
	}
	c.ks.used -= size + int64(len(key))
	c.db.keys.Delete(key)
	if e.exp != 0 {
		c.db.volatile.Delete(key)
	}
	c.ks.nextVer()
	e.ver = 0
}

// del deletes key if it exists (and is not expired) and reports whether it did.
func (c *Ctx) del(key []byte) bool {
	e := c.lookup(key)
	if e == nil {
		return false
	}
	c.deleteEntry(string(key), e)
	return true
}

// setExpire sets or clears (ms == 0) the absolute expiry of an existing entry.
// The caller has called modify.
func (c *Ctx) setExpire(key string, e *entry, ms int64) {
	e.exp = ms
	if ms == 0 {
		c.db.volatile.Delete(key)
	} else {
		c.db.volatile.Set(key, e)
	}
}

// deleteIfEmpty removes an aggregate that a command emptied, as Redis does.
func (c *Ctx) deleteIfEmpty(key []byte, e *entry) {
	if e.obj != nil && e.obj.Len() == 0 {
		c.deleteEntry(string(key), e)
	}
}

// signalReady tells blocked clients that key may now have data.
func (c *Ctx) signalReady(key []byte) {
	if c.e != nil {
		c.e.blocked.ready(c.db.id, string(key))
	}
}

// finish completes the memory accounting of a command.
func (c *Ctx) finish() {
	for _, t := range c.touched {
		c.ks.used += t.e.memSize() - t.before
	}
	c.touched = c.touched[:0]
}

// lruClock is the LRU clock value (seconds, wrapping) for unix ms.
func lruClock(ms int64) uint32 { return uint32(ms / 1000) }

// table holds every command the cache executes, by lower-case name.
type table map[string]*Command

func buildTable(groups ...[]*Command) table {
	t := make(table)
	for _, g := range groups {
		for _, c := range g {
			if _, dup := t[c.Name]; dup {
				panic("cache: command registered twice: " + c.Name)
			}
			t[c.Name] = c
		}
	}
	return t
}

// lookupCommand finds a command by name, case-insensitively, without
// allocating for names of normal length.
func (t table) lookup(name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return t[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return t[string(buf[:len(name)])]
}
