package cache

import (
	"bytes"
	"math"
)

// Commands that put a key's value under another name or in another
// database: RENAME, RENAMENX, COPY, MOVE. Each keeps the expiry, and each
// wakes clients blocked on the destination (as Redis's dbAdd does), since a
// list or sorted set may have just appeared there.

const errSameObject = "ERR source and destination objects are the same"

func renameGeneric(c *Ctx, a [][]byte, nx bool) {
	e := c.lookup(a[1])
	if e == nil {
		c.W.Error(ErrNoSuchKey)
		return
	}
	if bytes.Equal(a[1], a[2]) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.Status("OK")
		}
		return
	}
	if nx && c.lookup(a[2]) != nil {
		c.W.Int(0)
		return
	}
	// The entry itself moves: no copy of the value. deleteEntry lets a
	// running snapshot capture it under the old name, add marks it as
	// created after the snapshot under the new one.
	c.deleteEntry(string(a[1]), e)
	c.add(string(a[2]), e)
	c.signalReady(a[2])
	if nx {
		c.W.Int(1)
	} else {
		c.W.Status("OK")
	}
}

// parseTargetDB parses a database number as Redis's getIntFromObjectOrReply
// followed by selectDb, replying the error they would.
func parseTargetDB(c *Ctx, b []byte) (*db, bool) {
	n, ok := parseInt(b)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.W.Error(ErrNotInt)
		return nil, false
	}
	if n < 0 || n >= NumDBs {
		c.W.Error(ErrDBIndex)
		return nil, false
	}
	return c.ks.dbs[n], true
}

// inDB runs fn with the context switched to database d, so that lookup, add
// and signalReady act on it.
func (c *Ctx) inDB(d *db, fn func()) {
	saved := c.db
	c.db = d
	defer func() { c.db = saved }()
	fn()
}

// cloneEntry deep-copies a value and its expiry; access statistics start afresh.
func cloneEntry(e *entry) *entry {
	ne := &entry{kind: e.kind, exp: e.exp}
	if e.kind == KindString {
		ne.str = bytes.Clone(e.str)
	} else if e.obj != nil {
		ne.obj = e.obj.Clone()
	}
	return ne
}

// cmdCopy is COPY source destination [DB destination-db] [REPLACE].
func cmdCopy(c *Ctx, a [][]byte) {
	dst, replace := c.db, false
	for i := 3; i < len(a); i++ {
		switch {
		case eqFold(a[i], "REPLACE"):
			replace = true
		case eqFold(a[i], "DB") && i+1 < len(a):
			d, ok := parseTargetDB(c, a[i+1])
			if !ok {
				return
			}
			dst = d
			i++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if dst == c.db && bytes.Equal(a[1], a[2]) {
		c.W.Error(errSameObject)
		return
	}
	e := c.lookup(a[1])
	if e == nil {
		c.W.Int(0)
		return
	}
	copied := false
	c.inDB(dst, func() {
		if c.lookup(a[2]) != nil && !replace {
			return
		}
		c.add(string(a[2]), cloneEntry(e)) // add replaces the old value
		c.signalReady(a[2])
		copied = true
	})
	if copied {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

// cmdMove is MOVE key db: the entry moves, it is not copied.
func cmdMove(c *Ctx, a [][]byte) {
	dst, ok := parseTargetDB(c, a[2])
	if !ok {
		return
	}
	if dst == c.db {
		c.W.Error(errSameObject)
		return
	}
	e := c.lookup(a[1])
	if e == nil {
		c.W.Int(0)
		return
	}
	moved := false
	c.inDB(dst, func() { moved = c.lookup(a[1]) == nil })
	if !moved {
		c.W.Int(0)
		return
	}
	key := string(a[1])
	c.deleteEntry(key, e)
	c.inDB(dst, func() {
		c.add(key, e)
		c.signalReady(a[1])
	})
	c.W.Int(1)
}
