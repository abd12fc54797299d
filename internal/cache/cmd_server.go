package cache

// Server-level commands that belong to the keyspace.
func serverCommands() []*Command {
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast | FlagStale, Group: "connection", Run: cmdPing},
		{Name: "echo", Arity: 2, Flags: FlagFast, Group: "connection", Run: func(c *Ctx, a [][]byte) { c.W.Bulk(a[1]) }},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale, Group: "connection", Run: func(c *Ctx, a [][]byte) {
			// Only reached inside MULTI replay paths that bypass the front-end.
			if _, ok := parseDBIndex(a); !ok {
				c.W.Error(ErrDBIndex)
				return
			}
			c.W.Status("OK")
		}},
		{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast, Group: "keyspace", Run: func(c *Ctx, a [][]byte) {
			c.W.Int(int64(c.db.keys.Len()))
		}},
		{Name: "flushdb", Arity: -1, Flags: FlagWrite, Group: "keyspace", Run: cmdFlushDB},
		{Name: "flushall", Arity: -1, Flags: FlagWrite, Group: "keyspace", Run: cmdFlushAll},
		{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast, Group: "keyspace", Run: cmdSwapDB},
	}
}

func cmdPing(c *Ctx, a [][]byte) {
	switch len(a) {
	case 1:
		c.W.Status("PONG")
	case 2:
		c.W.Bulk(a[1])
	default:
		c.W.Error(WrongArity("ping"))
	}
}

func flushMode(c *Ctx, a [][]byte) bool {
	if len(a) > 2 || (len(a) == 2 && !eqFold(a[1], "ASYNC") && !eqFold(a[1], "SYNC")) {
		c.W.Error(ErrSyntax)
		return false
	}
	return true
}

// flush empties one database. Every key is captured by a running snapshot
// first, as a delete would be.
func (c *Ctx) flush(d *db) {
	if c.ks.snap != nil {
		for k, ent := range d.keys.All() {
			c.ks.captureForSnapshot(d, k, ent)
		}
	}
	for k, ent := range d.keys.All() {
		c.ks.used -= ent.memSize() + int64(len(k))
	}
	d.keys = NewDict[*entry](0)
	d.volatile = NewDict[*entry](0)
	d.epoch = c.ks.nextVer()
}

func cmdFlushDB(c *Ctx, a [][]byte) {
	if !flushMode(c, a) {
		return
	}
	c.flush(c.db)
	c.W.Status("OK")
}

func cmdFlushAll(c *Ctx, a [][]byte) {
	if !flushMode(c, a) {
		return
	}
	for _, d := range c.ks.dbs {
		c.flush(d)
	}
	c.W.Status("OK")
}

func cmdSwapDB(c *Ctx, a [][]byte) {
	i, ok1 := parseInt(a[1])
	j, ok2 := parseInt(a[2])
	if !ok1 || !ok2 {
		c.W.Error("ERR invalid first DB index")
		return
	}
	if i < 0 || j < 0 || i >= NumDBs || j >= NumDBs {
		c.W.Error(ErrDBIndex)
		return
	}
	x, y := c.ks.dbs[i], c.ks.dbs[j]
	x.keys, y.keys = y.keys, x.keys
	x.volatile, y.volatile = y.volatile, x.volatile
	x.epoch, y.epoch = c.ks.nextVer(), c.ks.nextVer()
	// Snapshot records carry the db id they are written under; a running
	// snapshot must capture the swapped databases as they were.
	if c.ks.snap != nil {
		for k, ent := range x.keys.All() {
			if ent.snap != c.ks.snap.gen {
				c.ks.snap.buf = appendRecord(c.ks.snap.buf, y.id, k, ent)
				ent.snap = c.ks.snap.gen
			}
		}
		for k, ent := range y.keys.All() {
			if ent.snap != c.ks.snap.gen {
				c.ks.snap.buf = appendRecord(c.ks.snap.buf, x.id, k, ent)
				ent.snap = c.ks.snap.gen
			}
		}
	}
	c.W.Status("OK")
}
