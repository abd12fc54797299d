package cache

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"strings"
)

// OBJECT, DUMP and RESTORE: a key's value seen as an object.

// OBJECT is a container command in Redis 7: the front-end checks only the
// container's arity (-2), so the subcommands' arity and unknown-subcommand
// errors are answered here, with the texts Redis's dispatcher uses.
var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Print this help.",
}

func objectKeys(args [][]byte) []int {
	if len(args) >= 3 && !eqFold(args[1], "HELP") {
		return []int{2}
	}
	return nil
}

const (
	errLFUNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFUSelected    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	// sharedRefcount is what Redis reports for its shared small integers.
	sharedRefcount = math.MaxInt32
)

func cmdObject(c *Ctx, a [][]byte) {
	sub := strings.ToLower(string(a[1]))
	switch sub {
	case "help":
		if len(a) != 2 {
			c.W.Error(WrongArity("object|help"))
			return
		}
		c.W.Array(len(objectHelp))
		for _, l := range objectHelp {
			c.W.Status(l)
		}
		return
	case "encoding", "freq", "idletime", "refcount":
		if len(a) != 3 {
			c.W.Error(WrongArity("object|" + sub))
			return
		}
	default:
		name := string(a[1])
		if len(name) > 128 {
			name = name[:128]
		}
		c.W.Error("ERR unknown subcommand '" + name + "'. Try OBJECT HELP.")
		return
	}
	e := c.peekLive(a[2])
	if e == nil {
		c.W.Null()
		return
	}
	policy, maxmem := c.memoryPolicy()
	lfu := strings.HasSuffix(policy, "-lfu")
	switch sub {
	case "encoding":
		if e.kind == KindString {
			c.W.BulkString(stringEncoding(e))
		} else {
			c.W.BulkString(e.obj.Encoding())
		}
	case "freq":
		if !lfu {
			c.W.Error(errLFUNotSelected)
			return
		}
		c.W.Int(int64(lfuDecayed(e, c.Now)))
	case "idletime":
		if lfu {
			c.W.Error(errLFUSelected)
			return
		}
		c.W.Int(int64(lruClock(c.Now) - e.access.Load()))
	case "refcount":
		// Redis shares the integers 0–9999 between keys unless an LRU/LFU
		// policy with a memory limit needs per-object access data.
		noShare := maxmem != 0 && (strings.HasSuffix(policy, "-lru") || lfu)
		if !noShare && isSharedInt(e) {
			c.W.Int(sharedRefcount)
		} else {
			c.W.Int(1)
		}
	}
}

// memoryPolicy returns maxmemory-policy and maxmemory.
func (c *Ctx) memoryPolicy() (string, int64) {
	if c.e == nil {
		return "noeviction", 0
	}
	return c.e.cfg.Policy, c.e.cfg.MaxMemory
}

func isSharedInt(e *entry) bool {
	if e.kind != KindString || stringEncoding(e) != "int" {
		return false
	}
	n, ok := parseInt(e.str)
	return ok && n >= 0 && n < 10000
}

func cmdDump(c *Ctx, a [][]byte) {
	e := c.lookup(a[1])
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(dumpPayload(e))
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
// The checks come in Redis's order: options, busy key, TTL, payload.
func cmdRestore(c *Ctx, a [][]byte) {
	var replace, absTTL bool
	idle, freq := int64(-1), int64(-1)
	for i := 4; i < len(a); i++ {
		more := i+1 < len(a)
		switch {
		case eqFold(a[i], "REPLACE"):
			replace = true
		case eqFold(a[i], "ABSTTL"):
			absTTL = true
		case eqFold(a[i], "IDLETIME") && more && freq == -1:
			n, ok := parseInt(a[i+1])
			if !ok {
				c.W.Error(ErrNotInt)
				return
			}
			if n < 0 {
				c.W.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			i++
		case eqFold(a[i], "FREQ") && more && idle == -1:
			n, ok := parseInt(a[i+1])
			if !ok {
				c.W.Error(ErrNotInt)
				return
			}
			if n < 0 || n > 255 {
				c.W.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			i++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if !replace && c.lookup(a[1]) != nil {
		c.W.Error("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if ttl < 0 {
		c.W.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	ne, ok := undumpPayload(a[3])
	if !ok {
		if dumpTrailerOK(a[3]) {
			c.W.Error("ERR Bad data format")
		} else {
			c.W.Error("ERR DUMP payload version or checksum are wrong")
		}
		return
	}
	if replace {
		c.del(a[1])
	}
	if ttl != 0 && !absTTL {
		ttl = satAdd(ttl, c.Now)
	}
	if ttl != 0 && ttl <= c.Now {
		c.W.Status("OK") // already expired: restored and at once deleted
		return
	}
	ne.exp = ttl
	c.add(string(a[1]), ne)
	// Applied whatever the current policy (Redis applies only the one its
	// policy tracks) so that replay does not depend on configuration.
	clock := lruClock(c.Now)
	if idle >= 0 {
		ne.access.Store(clock - uint32(min(idle, int64(clock))))
	}
	if freq >= 0 {
		ne.hits.Store(uint32(freq))
	}
	c.signalReady(a[1])
	c.W.Status("OK")
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// dumpTrailerOK reports whether a payload's version and checksum are right,
// to tell a corrupt payload from a well-formed one that does not decode.
// It mirrors the trailer undumpPayload checks (value_codec.go).
func dumpTrailerOK(b []byte) bool {
	if len(b) < 7 {
		return false
	}
	body := b[:len(b)-4]
	return crc32.Checksum(body, castagnoli) == binary.LittleEndian.Uint32(b[len(b)-4:]) &&
		binary.LittleEndian.Uint16(body[len(body)-2:]) == dumpVersion
}
