package resp

import (
	"strconv"
	"strings"
	"time"

	"triad/internal/cache"
)

// Deliver implements cache.Subscriber: it formats the message in this
// client's protocol and queues it on the client's asynchronous writer.
func (c *conn) Deliver(pattern, channel string, msg []byte) {
	c.subMu.Lock()
	aw, proto := c.async, c.w.Proto()
	c.subMu.Unlock()
	if aw == nil {
		return
	}
	w := &Writer{proto: proto}
	if pattern != "" {
		w.Push(4)
		w.BulkString("pmessage")
		w.BulkString(pattern)
	} else {
		w.Push(3)
		w.BulkString("message")
	}
	w.BulkString(channel)
	w.Bulk(msg)
	aw.enqueue(w.buf)
}

// goAsync switches the connection's output to the asynchronous writer.
func (c *conn) goAsync() {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	if c.async == nil {
		if err := c.w.Flush(); err != nil {
			return
		}
		c.async = newAsyncWriter(c.nc, c.srv.config().PubSubLimit)
	}
}

// subCount is called with subMu held; it also publishes the count for
// lock-free readers.
func (c *conn) subCount() int {
	n := len(c.channels) + len(c.patterns)
	c.nsubs.Store(int32(n))
	return n
}

func (c *conn) subReply(kind, name string, count int, isNil bool) {
	c.w.Push(3)
	c.w.BulkString(kind)
	if isNil {
		c.w.Null()
	} else {
		c.w.BulkString(name)
	}
	c.w.Int(int64(count))
}

func cmdSubscribe(c *conn, args [][]byte)  { c.subscribe(args, false) }
func cmdPSubscribe(c *conn, args [][]byte) { c.subscribe(args, true) }

func (c *conn) subscribe(args [][]byte, pattern bool) {
	if c.multi {
		c.w.Error("ERR Command not allowed inside a transaction")
		return
	}
	c.goAsync()
	kind := "subscribe"
	if pattern {
		kind = "psubscribe"
	}
	for _, a := range args[1:] {
		name := string(a)
		c.subMu.Lock()
		if pattern {
			if c.patterns == nil {
				c.patterns = make(map[string]struct{})
			}
			c.patterns[name] = struct{}{}
		} else {
			if c.channels == nil {
				c.channels = make(map[string]struct{})
			}
			c.channels[name] = struct{}{}
		}
		n := c.subCount()
		c.subMu.Unlock()
		if pattern {
			c.srv.hub.PSubscribe(c, name)
		} else {
			c.srv.hub.Subscribe(c, name)
		}
		c.subReply(kind, name, n, false)
	}
}

func cmdUnsubscribe(c *conn, args [][]byte)  { c.unsubscribe(args, false) }
func cmdPUnsubscribe(c *conn, args [][]byte) { c.unsubscribe(args, true) }

func (c *conn) unsubscribe(args [][]byte, pattern bool) {
	kind := "unsubscribe"
	if pattern {
		kind = "punsubscribe"
	}
	var names []string
	c.subMu.Lock()
	set := c.channels
	if pattern {
		set = c.patterns
	}
	if len(args) == 1 {
		for n := range set {
			names = append(names, n)
		}
	} else {
		for _, a := range args[1:] {
			names = append(names, string(a))
		}
	}
	c.subMu.Unlock()
	if len(names) == 0 {
		c.subReply(kind, "", c.subCountLocked(), true)
		return
	}
	for _, name := range names {
		c.subMu.Lock()
		delete(set, name)
		n := c.subCount()
		c.subMu.Unlock()
		if pattern {
			c.srv.hub.PUnsubscribe(c, name)
		} else {
			c.srv.hub.Unsubscribe(c, name)
		}
		c.subReply(kind, name, n, false)
	}
}

func (c *conn) subCountLocked() int {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	return c.subCount()
}

func (c *conn) unsubscribeAll() {
	c.subMu.Lock()
	chans, pats := c.channels, c.patterns
	c.channels, c.patterns = nil, nil
	c.nsubs.Store(0)
	c.subMu.Unlock()
	for n := range chans {
		c.srv.hub.Unsubscribe(c, n)
	}
	for p := range pats {
		c.srv.hub.PUnsubscribe(c, p)
	}
}

func cmdPublish(c *conn, args [][]byte) {
	c.w.Int(int64(c.srv.hub.Publish(string(args[1]), args[2])))
}

func cmdPubsub(c *conn, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "CHANNELS":
		if len(args) > 3 {
			c.w.Error(cache.WrongArity("pubsub|channels"))
			return
		}
		pat := ""
		if len(args) == 3 {
			pat = string(args[2])
		}
		chans := c.srv.hub.Channels(pat)
		c.w.Array(len(chans))
		for _, ch := range chans {
			c.w.BulkString(ch)
		}
	case "NUMSUB":
		c.w.Map(len(args) - 2)
		for _, a := range args[2:] {
			c.w.Bulk(a)
			c.w.Int(int64(c.srv.hub.NumSub(string(a))))
		}
	case "NUMPAT":
		c.w.Int(int64(c.srv.hub.NumPat()))
	case "HELP":
		writeHelp(c, "PUBSUB", []string{
			"CHANNELS [<pattern>]", "    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT", "    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]", "    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
		})
	default:
		unknownSubcommand(c, args)
	}
}

// writeHelp writes a HELP reply in Redis's layout.
func writeHelp(c *conn, cmd string, lines []string) {
	c.w.Array(len(lines) + 3)
	c.w.Status(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Status(l)
	}
	c.w.Status("HELP")
	c.w.Status("    Print this help.")
}

func unknownSubcommand(c *conn, args [][]byte) {
	c.w.Error("ERR unknown subcommand '" + truncate(string(args[1]), 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
}

func cmdMonitor(c *conn, args [][]byte) {
	if c.multi {
		c.w.Error("ERR MONITOR inside MULTI is not allowed")
		return
	}
	c.goAsync()
	c.srv.mu.Lock()
	if _, ok := c.srv.monitors[c]; !ok {
		c.srv.monitors[c] = struct{}{}
		c.srv.nmon.Add(1)
	}
	c.srv.mu.Unlock()
	c.w.Status("OK")
}

// feedMonitors sends a command to every MONITOR client, formatted as Redis
// does: +<unix.micro> [<db> <addr>] "arg" "arg"...
func (c *conn) feedMonitors(args [][]byte) {
	if c.srv.nmon.Load() == 0 {
		return
	}
	c.srv.mu.Lock()
	if len(c.srv.monitors) == 0 {
		c.srv.mu.Unlock()
		return
	}
	mons := make([]*conn, 0, len(c.srv.monitors))
	for m := range c.srv.monitors {
		mons = append(mons, m)
	}
	c.srv.mu.Unlock()
	now := time.Now()
	var b strings.Builder
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString(".")
	us := strconv.Itoa(now.Nanosecond() / 1000)
	b.WriteString(strings.Repeat("0", 6-len(us)) + us)
	b.WriteString(" [" + strconv.Itoa(c.db) + " " + c.nc.RemoteAddr().String() + "]")
	for _, a := range args {
		b.WriteString(" " + strconv.Quote(string(a)))
	}
	line := "+" + b.String() + "\r\n"
	for _, m := range mons {
		if m.async != nil {
			m.async.enqueue([]byte(line))
		}
	}
}
