package cache

// WatchKey returns what WATCH records for key: its current version (0 if it
// does not exist or has expired) and its database's flush epoch.
func (e *Engine) WatchKey(dbi int, key string) Watch {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.ks.dbs[dbi]
	w := Watch{DB: dbi, Key: key, Epoch: d.epoch}
	if ent := d.peek(key); ent != nil && (ent.exp == 0 || ent.exp > e.nowLocked()) {
		w.Version = ent.ver
	}
	return w
}

// ExecMulti runs a MULTI/EXEC block as one log entry. The WATCHed versions are
// checked when the entry is applied, not before it is logged, so the check
// holds in log order. The reply is EXEC's: a null array when a watched key
// changed, otherwise an array of the commands' replies. ok reports whether
// the block ran.
func (e *Engine) ExecMulti(dbi int, watches []Watch, cmds [][][]byte, w Reply) (idx uint64, ok bool) {
	write := false
	for i, args := range cmds {
		cmd := e.cmds.lookup(args[0])
		if cmd != nil && cmd.Flags&FlagWrite != 0 {
			write = true
			if cmd.Prepare != nil {
				if a, errReply := cmd.Prepare(e, args); errReply == "" {
					args = a
				}
			}
			cmds[i] = args
		}
	}
	if write && !e.makeRoom() && multiDeniesOOM(e, cmds) {
		w.Error(ErrOOM)
		return 0, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ts, seed := e.stampLocked()
	for i, args := range cmds {
		if cmd := e.cmds.lookup(args[0]); cmd != nil && cmd.Flags&FlagWrite != 0 {
			cmds[i] = absoluteExpiry(cmd, args, ts)
		}
	}
	if write {
		var err error
		idx, err = e.appendLocked(encodeMulti(ts, seed, dbi, watches, cmds))
		if err != nil {
			w.Error("MISCONF Errors writing to the append only file: " + err.Error())
			return 0, false
		}
	}
	ok = e.applyMultiLocked(ts, seed, dbi, watches, cmds, w)
	return idx, ok
}

func multiDeniesOOM(e *Engine, cmds [][][]byte) bool {
	for _, args := range cmds {
		if cmd := e.cmds.lookup(args[0]); cmd != nil && cmd.Flags&FlagDenyOOM != 0 {
			return true
		}
	}
	return false
}

// applyMultiLocked is the transition for a MULTI/EXEC entry. SELECT inside the
// block switches the database for the commands after it.
func (e *Engine) applyMultiLocked(ts int64, seed uint64, dbi int, watches []Watch, cmds [][][]byte, w Reply) bool {
	for _, wt := range watches {
		d := e.ks.dbs[wt.DB]
		var ver uint64
		if ent := d.peek(wt.Key); ent != nil && (ent.exp == 0 || ent.exp > ts) {
			ver = ent.ver
		}
		if ver != wt.Version || d.epoch != wt.Epoch {
			w.NullArray()
			return false
		}
	}
	w.Array(len(cmds))
	for i, args := range cmds {
		cmd := e.cmds.lookup(args[0])
		if cmd == nil {
			w.Error("ERR unknown command")
			continue
		}
		if cmd.Name == "select" {
			n, ok := parseDBIndex(args)
			if !ok {
				w.Error(ErrDBIndex)
				continue
			}
			dbi = n
			w.Status("OK")
			continue
		}
		c := &e.ctx
		// Each command of the block gets its own seed derived from the entry's.
		*c = Ctx{e: e, ks: e.ks, db: e.ks.dbs[dbi], Now: ts, seed: seed + uint64(i)*0x9e3779b97f4a7c15, W: w, applying: true, inMulti: true, touched: c.touched[:0], lfu: e.lfuLocked()}
		e.runApplied(c, cmd, args)
	}
	e.wakeReadyLocked()
	return true
}

func parseDBIndex(args [][]byte) (int, bool) {
	if len(args) != 2 {
		return 0, false
	}
	n, ok := parseInt(args[1])
	if !ok || n < 0 || n >= NumDBs {
		return 0, false
	}
	return int(n), true
}
