package resp

import (
	"strconv"
	"strings"
	"time"

	"triad/internal/cache"
)

// RedisVersion is the Redis version Triad answers to clients (HELLO, INFO):
// the semantics it implements.
const RedisVersion = "7.0.15"

func connCommands() []*connCommand {
	return []*connCommand{
		{name: "hello", arity: -1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "connection", noAuth: true, run: cmdHello},
		{name: "auth", arity: -2, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "connection", noAuth: true, run: cmdAuth},
		{name: "select", arity: 2, flags: cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "connection", run: cmdSelect},
		{name: "quit", arity: -1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "connection", noAuth: true, inSub: true, inMulti: true, run: cmdQuit},
		{name: "reset", arity: 1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "connection", noAuth: true, inSub: true, inMulti: true, run: cmdReset},
		{name: "client", arity: -2, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "connection", run: cmdClient},
		{name: "multi", arity: 1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "transaction", inMulti: true, run: cmdMulti},
		{name: "exec", arity: 1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "transaction", inMulti: true, run: cmdExec},
		{name: "discard", arity: 1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "transaction", inMulti: true, run: cmdDiscard},
		{name: "watch", arity: -2, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "transaction", inMulti: true, run: cmdWatch},
		{name: "unwatch", arity: 1, flags: cache.FlagNoScript | cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "transaction", run: cmdUnwatch},
		{name: "subscribe", arity: -2, flags: cache.FlagPubSub | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "pubsub", inSub: true, run: cmdSubscribe},
		{name: "unsubscribe", arity: -1, flags: cache.FlagPubSub | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "pubsub", inSub: true, run: cmdUnsubscribe},
		{name: "psubscribe", arity: -2, flags: cache.FlagPubSub | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "pubsub", inSub: true, run: cmdPSubscribe},
		{name: "punsubscribe", arity: -1, flags: cache.FlagPubSub | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "pubsub", inSub: true, run: cmdPUnsubscribe},
		{name: "publish", arity: 3, flags: cache.FlagPubSub | cache.FlagLoading | cache.FlagStale | cache.FlagFast | cache.FlagMayReplic, group: "pubsub", run: cmdPublish},
		{name: "pubsub", arity: -2, flags: cache.FlagPubSub | cache.FlagLoading | cache.FlagStale, group: "pubsub", run: cmdPubsub},
		{name: "monitor", arity: 1, flags: cache.FlagAdmin | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdMonitor},
		{name: "wait", arity: 3, flags: cache.FlagNoScript, group: "connection", run: cmdWait},
		{name: "command", arity: -1, flags: cache.FlagLoading | cache.FlagStale, group: "connection", run: cmdCommand},
		{name: "config", arity: -2, flags: cache.FlagAdmin | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdConfig},
		{name: "info", arity: -1, flags: cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdInfo},
		{name: "time", arity: 1, flags: cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "fast", run: cmdTime},
		{name: "save", arity: 1, flags: cache.FlagAdmin | cache.FlagNoScript, group: "dangerous", run: cmdSave},
		{name: "bgsave", arity: -1, flags: cache.FlagAdmin | cache.FlagNoScript, group: "dangerous", run: cmdBGSave},
		{name: "lastsave", arity: 1, flags: cache.FlagLoading | cache.FlagStale | cache.FlagFast, group: "dangerous", run: cmdLastSave},
		{name: "shutdown", arity: -1, flags: cache.FlagAdmin | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdShutdown},
		{name: "slowlog", arity: -2, flags: cache.FlagAdmin | cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdSlowlog},
		{name: "acl", arity: -2, flags: cache.FlagAdmin | cache.FlagNoScript | cache.FlagLoading | cache.FlagStale, group: "dangerous", run: cmdACL},
	}
}

func cmdHello(c *conn, args [][]byte) {
	proto := c.w.Proto()
	i := 1
	if len(args) > 1 {
		v, err := strconv.Atoi(string(args[1]))
		if err != nil {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.w.Error("NOPROTO unsupported protocol version")
			return
		}
		proto, i = v, 2
	}
	var name *string
	for ; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "AUTH") && i+2 < len(args):
			u, ok := c.srv.acl.authenticate(string(args[i+1]), string(args[i+2]))
			if !ok {
				c.w.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			c.user.Store(u)
			c.authed = true
			i += 2
		case strings.EqualFold(string(args[i]), "SETNAME") && i+1 < len(args):
			n := string(args[i+1])
			if !validClientName(n) {
				c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			name = &n
			i++
		default:
			c.w.Error("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if !c.authed {
		c.w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		c.name.Store(name)
	}
	c.w.SetProto(proto)
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(RedisVersion)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.Array(0)
}

func cmdAuth(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(cache.ErrSyntax)
		return
	}
	user, pass := "default", string(args[1])
	if len(args) == 3 {
		user, pass = string(args[1]), string(args[2])
	} else if !c.srv.acl.hasPassword() {
		c.w.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	u, ok := c.srv.acl.authenticate(user, pass)
	if !ok {
		c.w.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	c.user.Store(u)
	c.authed = true
	c.w.Status("OK")
}

func cmdSelect(c *conn, args [][]byte) {
	n, err := strconv.Atoi(string(args[1]))
	if err != nil {
		c.w.Error(cache.ErrNotInt)
		return
	}
	if n < 0 || n >= cache.NumDBs {
		c.w.Error(cache.ErrDBIndex)
		return
	}
	c.db = n
	c.w.Status("OK")
}

func cmdQuit(c *conn, args [][]byte) {
	c.w.Status("OK")
	c.closing.Store(true)
}

func cmdReset(c *conn, args [][]byte) {
	c.multi, c.multiErr, c.queued, c.watches = false, false, nil, nil
	c.unsubscribeAll()
	c.srv.mu.Lock()
	if _, ok := c.srv.monitors[c]; ok {
		delete(c.srv.monitors, c)
		c.srv.nmon.Add(-1)
	}
	c.srv.mu.Unlock()
	c.db = 0
	c.w.SetProto(2)
	c.name.Store(nil)
	c.noEvict = false
	u := c.srv.acl.defaultUser()
	c.user.Store(u)
	c.authed = u.nopass && u.enabled
	c.w.Status("RESET")
}

func cmdMulti(c *conn, args [][]byte) {
	if c.multi {
		c.w.Error("ERR MULTI calls can not be nested")
		return
	}
	c.multi, c.multiErr, c.queued = true, false, nil
	c.w.Status("OK")
}

func cmdExec(c *conn, args [][]byte) {
	if !c.multi {
		c.w.Error("ERR EXEC without MULTI")
		return
	}
	queued, watches, failed := c.queued, c.watches, c.multiErr
	c.multi, c.multiErr, c.queued, c.watches = false, false, nil, nil
	if failed {
		c.w.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	idx, ok := c.srv.eng.ExecMulti(c.db, watches, queued, c.w)
	if idx > c.durable {
		c.durable = idx
	}
	if ok {
		for _, q := range queued { // SELECT inside the block moves the client too
			if strings.EqualFold(string(q[0]), "select") {
				if n, err := strconv.Atoi(string(q[1])); err == nil && n >= 0 && n < cache.NumDBs {
					c.db = n
				}
			}
		}
	}
}

func cmdDiscard(c *conn, args [][]byte) {
	if !c.multi {
		c.w.Error("ERR DISCARD without MULTI")
		return
	}
	c.multi, c.multiErr, c.queued, c.watches = false, false, nil, nil
	c.w.Status("OK")
}

func cmdWatch(c *conn, args [][]byte) {
	if c.multi {
		c.w.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, k := range args[1:] {
		c.watches = append(c.watches, c.srv.eng.WatchKey(c.db, string(k)))
	}
	c.w.Status("OK")
}

func cmdUnwatch(c *conn, args [][]byte) {
	c.watches = nil
	c.w.Status("OK")
}

func cmdWait(c *conn, args [][]byte) {
	n, err1 := strconv.ParseInt(string(args[1]), 10, 64)
	ms, err2 := strconv.ParseInt(string(args[2]), 10, 64)
	if err1 != nil || err2 != nil {
		c.w.Error(cache.ErrNotInt)
		return
	}
	if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	// A standalone node has no replicas: WAIT answers 0, after its timeout
	// when replicas were asked for (as Redis without replicas does).
	if n > 0 {
		if !c.flush() {
			return
		}
		var t <-chan time.Time
		if ms > 0 {
			tm := time.NewTimer(time.Duration(ms) * time.Millisecond)
			defer tm.Stop()
			t = tm.C
		}
		select {
		case <-t:
		case <-c.ctx.Done():
		}
	}
	c.w.Int(0)
}

func cmdTime(c *conn, args [][]byte) {
	now := time.Now()
	c.w.Array(2)
	c.w.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdSave(c *conn, args [][]byte) {
	if err := c.srv.host.Save(); err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	c.w.Status("OK")
}

func cmdBGSave(c *conn, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !strings.EqualFold(string(args[1]), "SCHEDULE")) {
		c.w.Error(cache.ErrSyntax)
		return
	}
	if err := c.srv.host.BGSave(); err != nil {
		c.w.Error("ERR " + err.Error())
		return
	}
	c.w.Status("Background saving started")
}

func cmdLastSave(c *conn, args [][]byte) { c.w.Int(c.srv.host.LastSave().Unix()) }

func cmdShutdown(c *conn, args [][]byte) {
	save := true
	for _, a := range args[1:] {
		switch strings.ToUpper(string(a)) {
		case "NOSAVE":
			save = false
		case "SAVE", "NOW", "FORCE":
		case "ABORT":
			c.w.Error("ERR No shutdown in progress.")
			return
		default:
			c.w.Error(cache.ErrSyntax)
			return
		}
	}
	c.srv.log.Warn("SHUTDOWN requested by client", "client", c.nc.RemoteAddr().String(), "save", save)
	c.srv.host.Shutdown(save)
	// Like Redis, the client sees the connection close rather than a reply.
	c.w.Reset()
	c.closing.Store(true)
}

func validClientName(n string) bool {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return false
		}
	}
	return true
}
