package resp

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"triad/internal/cache"
)

func cmdClient(c *conn, args [][]byte) {
	sub := strings.ToUpper(string(args[1]))
	switch sub {
	case "ID":
		c.w.Int(c.id)
	case "SETNAME":
		if len(args) != 3 {
			c.w.Error(cache.WrongArity("client|setname"))
			return
		}
		n := string(args[2])
		if !validClientName(n) {
			c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		if n == "" {
			c.name.Store(nil)
		} else {
			c.name.Store(&n)
		}
		c.w.Status("OK")
	case "GETNAME":
		if n := c.name.Load(); n != nil {
			c.w.BulkString(*n)
		} else {
			c.w.Null()
		}
	case "SETINFO":
		if len(args) != 4 {
			c.w.Error(cache.WrongArity("client|setinfo"))
			return
		}
		v := string(args[3])
		if !validClientName(v) && v != "" {
			c.w.Error("ERR " + strings.ToUpper(string(args[2])) + " cannot contain spaces, newlines or special characters.")
			return
		}
		switch strings.ToUpper(string(args[2])) {
		case "LIB-NAME":
			c.libName = v
		case "LIB-VER":
			c.libVer = v
		default:
			c.w.Error("ERR Unrecognized option '" + string(args[2]) + "'")
			return
		}
		c.w.Status("OK")
	case "INFO":
		c.w.Verbatim(c.describe() + "\n")
	case "LIST":
		c.clientList(args[2:])
	case "KILL":
		c.clientKill(args[2:])
	case "NO-EVICT":
		if len(args) != 3 {
			c.w.Error(cache.WrongArity("client|no-evict"))
			return
		}
		switch strings.ToUpper(string(args[2])) {
		case "ON":
			c.noEvict = true
		case "OFF":
			c.noEvict = false
		default:
			c.w.Error(cache.ErrSyntax)
			return
		}
		c.w.Status("OK")
	case "PAUSE":
		c.clientPause(args[2:])
	case "UNPAUSE":
		c.srv.pause.unpause()
		c.w.Status("OK")
	case "HELP":
		writeHelp(c, "CLIENT", []string{
			"GETNAME", "    Return the name of the current connection.",
			"ID", "    Return the ID of the current connection.",
			"INFO", "    Return information about the current client connection.",
			"KILL <ip:port>", "    Kill connection made from <ip:port>.",
			"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME.",
			"LIST [options ...]", "    Return information about client connections. Options: TYPE, ID.",
			"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
			"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
			"SETINFO <option> <value>", "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"UNPAUSE", "    Stop the current client pause, resuming traffic.",
		})
	default:
		unknownSubcommand(c, args)
	}
}

// describe is one line of CLIENT LIST / CLIENT INFO, with Redis's fields.
func (c *conn) describe() string {
	name := ""
	if n := c.name.Load(); n != nil {
		name = *n
	}
	flags := "N"
	c.subMu.Lock()
	sub, psub := len(c.channels), len(c.patterns)
	c.subMu.Unlock()
	if sub+psub > 0 {
		flags = "P"
	}
	c.srv.mu.Lock()
	if _, ok := c.srv.monitors[c]; ok {
		flags = "O"
	}
	c.srv.mu.Unlock()
	multi := -1
	if c.multi {
		flags = "x"
		multi = len(c.queued)
	}
	now := time.Now()
	user := "default"
	if u := c.user.Load(); u != nil {
		user = u.name
	}
	lastCmd := ""
	if p := c.lastName.Load(); p != nil {
		lastCmd = *p
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=8 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s",
		c.id, c.nc.RemoteAddr(), c.nc.LocalAddr(), name, int(now.Sub(c.created).Seconds()),
		(now.UnixMilli()-c.lastCmd.Load())/1000, flags, c.db, sub, psub, multi, lastCmd, user, c.w.Proto(), c.libName, c.libVer)
}

func (s *Server) snapshotConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (c *conn) clientList(opts [][]byte) {
	conns := c.srv.snapshotConns()
	var ids map[int64]bool
	typ := ""
	for i := 0; i < len(opts); i++ {
		switch strings.ToUpper(string(opts[i])) {
		case "TYPE":
			if i+1 >= len(opts) {
				c.w.Error(cache.ErrSyntax)
				return
			}
			typ = strings.ToLower(string(opts[i+1]))
			if typ != "normal" && typ != "pubsub" && typ != "master" && typ != "replica" {
				c.w.Error("ERR Unknown client type '" + string(opts[i+1]) + "'")
				return
			}
			i++
		case "ID":
			ids = map[int64]bool{}
			for i++; i < len(opts); i++ {
				id, err := strconv.ParseInt(string(opts[i]), 10, 64)
				if err != nil || id <= 0 {
					c.w.Error("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.w.Error(cache.ErrSyntax)
			return
		}
	}
	var b strings.Builder
	for _, x := range conns {
		if ids != nil && !ids[x.id] {
			continue
		}
		if typ != "" && typ != x.clientType() {
			continue
		}
		b.WriteString(x.describe())
		b.WriteString("\n")
	}
	c.w.Verbatim(b.String())
}

func (c *conn) clientType() string {
	if c.subscribed() {
		return "pubsub"
	}
	return "normal"
}

func (c *conn) clientKill(opts [][]byte) {
	conns := c.srv.snapshotConns()
	if len(opts) == 1 { // old form: CLIENT KILL addr
		for _, x := range conns {
			if x.nc.RemoteAddr().String() == string(opts[0]) {
				x.closeSoon()
				c.w.Status("OK")
				return
			}
		}
		c.w.Error("ERR No such client")
		return
	}
	if len(opts)%2 != 0 || len(opts) == 0 {
		c.w.Error(cache.ErrSyntax)
		return
	}
	skipMe := true
	match := func(x *conn) bool { return true }
	for i := 0; i < len(opts); i += 2 {
		v := string(opts[i+1])
		prev := match
		switch strings.ToUpper(string(opts[i])) {
		case "ID":
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				c.w.Error("ERR client-id should be greater than 0")
				return
			}
			match = func(x *conn) bool { return prev(x) && x.id == id }
		case "TYPE":
			t := strings.ToLower(v)
			if t != "normal" && t != "pubsub" && t != "master" && t != "replica" && t != "slave" {
				c.w.Error("ERR Unknown client type '" + v + "'")
				return
			}
			match = func(x *conn) bool { return prev(x) && x.clientType() == t }
		case "USER":
			match = func(x *conn) bool { return prev(x) && x.user.Load() != nil && x.user.Load().name == v }
		case "ADDR":
			match = func(x *conn) bool { return prev(x) && x.nc.RemoteAddr().String() == v }
		case "LADDR":
			match = func(x *conn) bool { return prev(x) && x.nc.LocalAddr().String() == v }
		case "SKIPME":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.w.Error(cache.ErrSyntax)
				return
			}
		default:
			c.w.Error(cache.ErrSyntax)
			return
		}
	}
	n := 0
	for _, x := range conns {
		if (x == c && skipMe) || !match(x) {
			continue
		}
		x.closeSoon()
		n++
	}
	c.w.Int(int64(n))
}

// pauseState implements CLIENT PAUSE: commands (all, or only writes) from
// other clients wait until the pause ends.
type pauseState struct {
	active   atomic.Bool // a pause may be in force: the per-command fast path
	mu       sync.Mutex
	until    time.Time
	writes   bool
	released chan struct{}
}

func (c *conn) clientPause(opts [][]byte) {
	if len(opts) < 1 || len(opts) > 2 {
		c.w.Error(cache.WrongArity("client|pause"))
		return
	}
	ms, err := strconv.ParseInt(string(opts[0]), 10, 64)
	if err != nil || ms < 0 {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	}
	writes := false
	if len(opts) == 2 {
		switch strings.ToUpper(string(opts[1])) {
		case "WRITE":
			writes = true
		case "ALL":
		default:
			c.w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	p := &c.srv.pause
	p.mu.Lock()
	if p.released == nil {
		p.released = make(chan struct{})
	}
	p.until, p.writes = time.Now().Add(time.Duration(ms)*time.Millisecond), writes
	p.active.Store(true)
	p.mu.Unlock()
	c.w.Status("OK")
}

func (p *pauseState) unpause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.until = time.Time{}
	p.active.Store(false)
	if p.released != nil {
		close(p.released)
		p.released = nil
	}
}

// wait holds a command while a pause is in force.
func (p *pauseState) wait(c *conn, args [][]byte) {
	for p.active.Load() {
		p.mu.Lock()
		until, writes, ch := p.until, p.writes, p.released
		d := time.Until(until)
		if d <= 0 || ch == nil {
			p.active.Store(false) // expired: back to the fast path
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		if writes {
			cmd := c.srv.eng.Lookup(args[0])
			if cmd == nil || cmd.Flags&cache.FlagWrite == 0 {
				return
			}
		} else if lc := lookupConn(args[0]); lc != nil && (lc.name == "client" || lc.name == "quit") {
			return
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ch:
		case <-c.ctx.Done():
		}
		t.Stop()
	}
}
