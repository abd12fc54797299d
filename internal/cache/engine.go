package cache

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Journal persists entries before they are applied. Append is called under
// the engine's write lock, in apply order, and must not sync; Durable blocks
// until the entry at index is as durable as the sync policy promises an
// acknowledged write to be (appendfsync always: fsynced; everysec, no: at once).
type Journal interface {
	Append(data []byte) (index uint64, err error)
	Durable(index uint64) error
}

// ErrJournal wraps a failure to log a write; the write is not applied.
var ErrJournal = errors.New("cache: journal write failed")

// Config tunes the engine. The zero value is not valid; use DefaultConfig.
type Config struct {
	// MaxMemory is maxmemory in bytes; 0 means no limit (Redis's default).
	MaxMemory int64
	// Policy is maxmemory-policy; default noeviction.
	Policy string
	// Samples is maxmemory-samples; default 5.
	Samples int
	// ScriptBudget is the number of Lua instructions a script may run before
	// it is stopped (busy-script); counted, not timed, so every replica stops
	// at the same point. Default 100 million.
	ScriptBudget int64
}

// DefaultConfig returns Redis's defaults.
func DefaultConfig() Config {
	return Config{Policy: "noeviction", Samples: 5, ScriptBudget: 100_000_000}
}

// Engine is the single-node cache: the keyspace, the command table, the
// journal every write goes through, and the connection-independent services
// (blocking waiters, pub/sub, scripts).
//
// Lock order: Engine.mu, then anything inside the keyspace. Reads hold mu for
// reading; logging and applying a write hold it for writing, so the log order
// is the apply order.
type Engine struct {
	log  *slog.Logger
	cmds table

	mu      sync.RWMutex
	ks      *Keyspace
	journal Journal
	// isDurable is the journal's non-blocking check, if it has one (found
	// once here, not per command).
	isDurable func(index uint64) bool
	lastTS    int64 // last entry timestamp: entries' clocks never go backwards
	cfg       Config
	rnd       *rand.Rand
	ctx       Ctx // reused by writes under mu

	blocked *blockedSet
	stats   Stats
	applied uint64 // journal index of the last applied entry
	snapGen uint32
	extras  []SnapshotExtra
	scripts *scripting
	maxmem  atomic.Int64 // cfg.MaxMemory, for the lock-free fast path
	// Keyspace hits and misses of read commands (reads run concurrently
	// under the read lock, hence atomic). Writes do not count, as in Redis,
	// where only lookups for reading do.
	hits, misses atomic.Int64
}

// Stats are counters INFO reports.
type Stats struct {
	ExpiredKeys, EvictedKeys, KeyspaceHits, KeyspaceMisses int64
}

// New builds an engine with an empty keyspace that logs to j (nil: memory only).
func New(cfg Config, j Journal, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		log:     log,
		ks:      newKeyspace(),
		journal: j,
		cfg:     cfg,
		rnd:     rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x7472696164)),
		blocked: newBlockedSet(),
	}
	if dj, ok := j.(interface{ IsDurable(uint64) bool }); ok {
		e.isDurable = dj.IsDurable
	}
	e.maxmem.Store(cfg.MaxMemory)
	e.cmds = buildTable(allCommands()...)
	e.scripts = newScripting()
	registerFunctionsSnapshot(e)
	return e
}

// Lookup returns the command named name (any case), or nil.
func (e *Engine) Lookup(name []byte) *Command { return e.cmds.lookup(name) }

// Commands returns the command table (for COMMAND and ACL categories).
func (e *Engine) Commands() map[string]*Command { return e.cmds }

// now returns the clock for reads: never behind the last logged entry.
func (e *Engine) nowLocked() int64 {
	return max(time.Now().UnixMilli(), e.lastTS)
}

// Exec runs one command against database dbi and writes its reply to w. A
// write is logged and applied under the lock; the returned index is the log
// index the caller must see Durable before it acknowledges (0 for reads).
func (e *Engine) Exec(dbi int, cmd *Command, args [][]byte, w Reply) uint64 {
	return e.ExecAt(0, dbi, cmd, args, w)
}

// ExecAt is Exec with the caller's reading of the wall clock in unix
// milliseconds (0: read it here), so a front-end that reads the clock once
// per batch of pipelined commands saves a clock reading per command, as
// Redis caches its clock per command. The time is only a proposal: a
// write's timestamp is never behind the previous entry's.
func (e *Engine) ExecAt(now int64, dbi int, cmd *Command, args [][]byte, w Reply) uint64 {
	if now == 0 {
		now = time.Now().UnixMilli()
	}
	if cmd.Flags&FlagWrite == 0 {
		e.execRead(now, dbi, cmd, args, w)
		return 0
	}
	if cmd.Flags&FlagDenyOOM != 0 && !e.makeRoom() {
		w.Error(ErrOOM)
		return 0
	}
	if cmd.Prepare != nil {
		var errReply string
		if args, errReply = cmd.Prepare(e, args); errReply != "" {
			w.Error(errReply)
			return 0
		}
		cmd = e.cmds.lookup(args[0])
		if cmd.Flags&FlagWrite == 0 { // e.g. FUNCTION LIST: not logged
			e.execRead(now, dbi, cmd, args, w)
			return 0
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ts, seed := e.stampAtLocked(now)
	// Relative expiry becomes absolute against the entry's own clock.
	if a := absoluteExpiry(cmd, args, ts); &a[0] != &args[0] {
		args, cmd = a, e.cmds.lookup(a[0])
	}
	idx, err := e.appendLocked(encodeCommand(ts, seed, dbi, args))
	if err != nil {
		w.Error("MISCONF Errors writing to the append only file: " + err.Error())
		return 0
	}
	e.applyCommandLocked(ts, seed, dbi, cmd, args, w)
	return idx
}

func (e *Engine) execRead(now int64, dbi int, cmd *Command, args [][]byte, w Reply) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c := Ctx{e: e, ks: e.ks, db: e.ks.dbs[dbi], Now: max(now, e.lastTS), W: w, seed: rand.Uint64(), lfu: e.lfuLocked()}
	cmd.Run(&c, args)
	if c.hits != 0 {
		e.hits.Add(c.hits)
	}
	if c.misses != 0 {
		e.misses.Add(c.misses)
	}
}

// IsDurable reports, without waiting, whether the write at index may be
// acknowledged already (journals that cannot tell say no).
func (e *Engine) IsDurable(index uint64) bool {
	if index == 0 || e.journal == nil {
		return true
	}
	return e.isDurable != nil && e.isDurable(index)
}

// Durable waits until the write at index may be acknowledged.
func (e *Engine) Durable(index uint64) error {
	if index == 0 || e.journal == nil {
		return nil
	}
	return e.journal.Durable(index)
}

// stampLocked fixes the entry's timestamp (monotonic) and random seed.
func (e *Engine) stampLocked() (int64, uint64) { return e.stampAtLocked(time.Now().UnixMilli()) }

func (e *Engine) stampAtLocked(now int64) (int64, uint64) {
	ts := max(now, e.lastTS)
	e.lastTS = ts
	return ts, e.rnd.Uint64()
}

func (e *Engine) appendLocked(data []byte) (uint64, error) {
	if e.journal == nil {
		return 0, nil
	}
	idx, err := e.journal.Append(data)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	e.applied = idx
	return idx, nil
}

// applyCommandLocked applies one logged command. It is the state machine's
// transition function: it reads time and randomness only from ts and seed.
func (e *Engine) applyCommandLocked(ts int64, seed uint64, dbi int, cmd *Command, args [][]byte, w Reply) {
	c := &e.ctx
	*c = Ctx{e: e, ks: e.ks, db: e.ks.dbs[dbi], Now: ts, seed: seed, W: w, applying: true, touched: c.touched[:0], lfu: e.lfuLocked()}
	e.runApplied(c, cmd, args)
	e.wakeReadyLocked()
}

// runApplied runs a logged command. A panic (a bug) is contained: it is
// reported to the client as an error and logged, and whatever the command
// changed before it panicked stays — deterministically, so replay and
// replicas reach the same state instead of failing to start.
func (e *Engine) runApplied(c *Ctx, cmd *Command, args [][]byte) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("panic while applying a command", "cmd", cmd.Name, "panic", r)
			c.W.Error(fmt.Sprintf("ERR internal error while running '%s': %v", cmd.Name, r))
		}
		c.finish()
	}()
	cmd.Run(c, args)
}

// Replay applies the entry at index, read back from the journal at start-up.
func (e *Engine) Replay(index uint64, data []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.applyEntryLocked(data); err != nil {
		return fmt.Errorf("cache: replay entry %d: %w", index, err)
	}
	e.applied = index
	return nil
}

// AddSnapshotExtra registers a section saved with every snapshot.
func (e *Engine) AddSnapshotExtra(x SnapshotExtra) { e.extras = append(e.extras, x) }

// UsedMemory is the estimated size of the dataset in bytes.
func (e *Engine) UsedMemory() int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.ks.used
}

// DBSizes returns, per database, the number of keys and of keys with a TTL.
func (e *Engine) DBSizes() (keys, volatile [NumDBs]int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for i, d := range e.ks.dbs {
		keys[i], volatile[i] = d.keys.Len(), d.volatile.Len()
	}
	return keys, volatile
}

// discardReply swallows replies of internal entries.
type discardReply struct{}

func (discardReply) Status(string)     {}
func (discardReply) Error(string)      {}
func (discardReply) Int(int64)         {}
func (discardReply) Bulk([]byte)       {}
func (discardReply) BulkString(string) {}
func (discardReply) Null()             {}
func (discardReply) NullArray()        {}
func (discardReply) Array(int)         {}
func (discardReply) Map(int)           {}
func (discardReply) Set(int)           {}
func (discardReply) Double(float64)    {}
func (discardReply) Bool(bool)         {}
func (discardReply) Verbatim(string)   {}
func (discardReply) Proto() int        { return 2 }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.stats
	s.KeyspaceHits, s.KeyspaceMisses = e.hits.Load(), e.misses.Load()
	return s
}

// ResetStats zeroes the counters, for CONFIG RESETSTAT.
func (e *Engine) ResetStats() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats = Stats{}
	e.hits.Store(0)
	e.misses.Store(0)
}
