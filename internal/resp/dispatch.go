package resp

import (
	"slices"
	"strings"

	"triad/internal/cache"
)

// connCommand is a command the front-end handles itself: it concerns the
// connection or the server rather than the keyspace.
type connCommand struct {
	name  string
	arity int
	flags cache.Flag
	group string
	// allowed in RESP2 subscribed mode / before authentication / inside MULTI
	inSub, noAuth, inMulti bool
	run                    func(c *conn, args [][]byte)
}

var connTable map[string]*connCommand

func init() {
	connTable = make(map[string]*connCommand)
	for _, cc := range connCommands() {
		connTable[cc.name] = cc
	}
}

func lookupConn(name []byte) *connCommand {
	if len(name) > 32 {
		return connTable[strings.ToLower(string(name))]
	}
	var buf [32]byte
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return connTable[string(buf[:len(name)])]
}

func checkArity(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

// unknownCommand is Redis 7's text for a command it does not have.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(truncate(string(args[0]), 128))
	b.WriteString("', with args beginning with: ")
	for _, a := range args[1:] {
		if b.Len() > 1024 {
			break
		}
		b.WriteString("'")
		b.WriteString(truncate(string(a), 128))
		b.WriteString("' ")
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (c *conn) dispatch(args [][]byte) {
	cc := lookupConn(args[0])
	var cmd *cache.Command
	if cc == nil {
		cmd = c.srv.eng.Lookup(args[0])
		if cmd == nil {
			c.w.Error(unknownCommand(args))
			c.multiErr = c.multiErr || c.multi
			return
		}
	}
	name := ""
	if cc != nil {
		c.lastName.Store(&cc.name)
		name = cc.name
		if !checkArity(cc.arity, len(args)) {
			c.w.Error(cache.WrongArity(name))
			c.multiErr = c.multiErr || c.multi
			return
		}
	} else {
		c.lastName.Store(&cmd.Name)
		name = cmd.Name
		if !cmd.CheckArity(len(args)) {
			c.w.Error(cache.WrongArity(name))
			c.multiErr = c.multiErr || c.multi
			return
		}
	}
	if !c.authed && (cc == nil || !cc.noAuth) {
		c.w.Error("NOAUTH Authentication required.")
		c.multiErr = c.multiErr || c.multi
		return
	}
	if msg := c.srv.acl.check(c.user.Load(), name, args, cmd); msg != "" {
		c.w.Error(msg)
		c.multiErr = c.multiErr || c.multi
		return
	}
	if c.w.Proto() == 2 && c.subscribed() && (cc == nil || !cc.inSub) {
		if cc == nil && cmd.Name == "ping" { // PING in subscribed mode
			c.w.Array(2)
			c.w.BulkString("pong")
			if len(args) > 1 {
				c.w.Bulk(args[1])
			} else {
				c.w.BulkString("")
			}
			return
		}
		c.w.Error("ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	c.feedMonitors(args)
	if c.multi && (cc == nil || !cc.inMulti) {
		if cc != nil && cc.name != "select" {
			c.w.Error("ERR Command not allowed inside a transaction")
			c.multiErr = true
			return
		}
		c.queued = append(c.queued, slices.Clone(args)) // the reader reuses args
		c.w.Status("QUEUED")
		return
	}
	if cc != nil {
		cc.run(c, args)
		return
	}
	c.execCache(cmd, args)
}

func (c *conn) execCache(cmd *cache.Command, args [][]byte) {
	var idx uint64
	if cmd.Flags&cache.FlagBlocking != 0 && cmd.BlockTimeout != nil {
		timeout, errReply := cmd.BlockTimeout(args)
		if errReply != "" {
			c.w.Error(errReply)
			return
		}
		// A blocked client cannot send more requests; flush what earlier
		// pipelined commands produced before waiting.
		if c.w.Buffered() > 0 && !c.flush() {
			return
		}
		idx = c.srv.eng.ExecBlocking(c.ctx, c.db, cmd, args, c.w, timeout)
	} else {
		idx = c.srv.eng.ExecAt(c.cmdNow, c.db, cmd, args, c.w)
	}
	if idx > c.durable {
		c.durable = idx
	}
}
