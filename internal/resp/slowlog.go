package resp

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"triad/internal/cache"
)

// slowlog records commands slower than slowlog-log-slower-than (µs, default
// 10000; negative disables), keeping slowlog-max-len (128) entries.
type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry // newest first
	nextID  int64
	thresh  atomic.Int64
	max     int
}

type slowEntry struct {
	id   int64
	at   time.Time
	dur  time.Duration
	args []string
	addr string
	name string
}

func newSlowlog() *slowlog {
	s := &slowlog{max: 128}
	s.thresh.Store(10000)
	return s
}

// threshold is read for every command, so it is an atomic outside mu.
func (s *slowlog) threshold() time.Duration {
	t := s.thresh.Load()
	if t < 0 {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(t) * time.Microsecond
}

func (s *slowlog) thresholdMicros() int64 { return s.thresh.Load() }
func (s *slowlog) setThreshold(n int64)   { s.thresh.Store(n) }
func (s *slowlog) maxLen() int            { s.mu.Lock(); defer s.mu.Unlock(); return s.max }
func (s *slowlog) setMaxLen(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.max = n
	if len(s.entries) > n {
		s.entries = s.entries[:n]
	}
}
func (s *slowlog) reset() { s.mu.Lock(); s.entries = nil; s.mu.Unlock() }

func (s *slowlog) add(c *conn, args [][]byte, d time.Duration) {
	var argv []string
	for i, a := range args {
		if i == 31 && len(args) > 32 {
			argv = append(argv, "... ("+strconv.Itoa(len(args)-31)+" more arguments)")
			break
		}
		v := string(a)
		if len(v) > 128 {
			v = v[:128] + "... (" + strconv.Itoa(len(a)-128) + " more bytes)"
		}
		argv = append(argv, v)
	}
	name := ""
	if n := c.name.Load(); n != nil {
		name = *n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.max == 0 {
		return
	}
	e := slowEntry{id: s.nextID, at: time.Now(), dur: d, args: argv, addr: c.nc.RemoteAddr().String(), name: name}
	s.nextID++
	s.entries = append([]slowEntry{e}, s.entries...)
	if len(s.entries) > s.max {
		s.entries = s.entries[:s.max]
	}
}

func cmdSlowlog(c *conn, args [][]byte) {
	sl := c.srv.slowlog
	switch strings.ToUpper(string(args[1])) {
	case "GET":
		n := 10
		if len(args) == 3 {
			v, err := strconv.Atoi(string(args[2]))
			if err != nil || v < -1 {
				c.w.Error("ERR count should be greater than or equal to -1")
				return
			}
			if v == -1 {
				v = 1 << 30
			}
			n = v
		}
		sl.mu.Lock()
		ents := append([]slowEntry(nil), sl.entries[:min(n, len(sl.entries))]...)
		sl.mu.Unlock()
		c.w.Array(len(ents))
		for _, e := range ents {
			c.w.Array(6)
			c.w.Int(e.id)
			c.w.Int(e.at.Unix())
			c.w.Int(e.dur.Microseconds())
			c.w.Array(len(e.args))
			for _, a := range e.args {
				c.w.BulkString(a)
			}
			c.w.BulkString(e.addr)
			c.w.BulkString(e.name)
		}
	case "LEN":
		sl.mu.Lock()
		n := len(sl.entries)
		sl.mu.Unlock()
		c.w.Int(int64(n))
	case "RESET":
		sl.reset()
		c.w.Status("OK")
	case "HELP":
		writeHelp(c, "SLOWLOG", []string{
			"GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
			"LEN", "    Return the length of the slowlog.",
			"RESET", "    Reset the slowlog.",
		})
	default:
		if len(args) > 2 {
			c.w.Error(cache.WrongArity("slowlog|" + strings.ToLower(string(args[1]))))
			return
		}
		unknownSubcommand(c, args)
	}
}
