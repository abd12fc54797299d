package resp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"triad/internal/cache"
)

// ParseMemory parses a Redis memory quantity: bytes, or with k/kb/m/mb/g/gb
// (k = 1000, kb = 1024, as redis.conf defines them).
func ParseMemory(s string) (int64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("argument must be a memory value")
	}
	return n * mul, nil
}

func boolParam(get func() bool, set func(bool)) (func() string, func(string) error) {
	return func() string {
			if get() {
				return "yes"
			}
			return "no"
		}, func(v string) error {
			switch strings.ToLower(v) {
			case "yes":
				set(true)
			case "no":
				set(false)
			default:
				return errors.New("argument must be 'yes' or 'no'")
			}
			return nil
		}
}

func intParam(get func() int64, set func(int64) error) (func() string, func(string) error) {
	return func() string { return strconv.FormatInt(get(), 10) }, func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("argument couldn't be parsed into an integer")
		}
		return set(n)
	}
}

func constParam(name, v string) Param { return Param{Name: name, Get: func() string { return v }} }

func (s *Server) setCfg(f func(*Config)) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	f(&s.cfg)
}

func (s *Server) buildParams() map[string]*Param {
	ps := []Param{
		constParam("databases", strconv.Itoa(cache.NumDBs)),
		constParam("appendonly", "yes"),
		constParam("cluster-enabled", "no"),
		{Name: "requirepass", Get: func() string { return "" }, Set: func(v string) error { s.acl.SetRequirePass(v); return nil }},
	}
	add := func(name string, g func() string, st func(string) error) {
		ps = append(ps, Param{Name: name, Get: g, Set: st})
	}
	g, st := intParam(func() int64 { return int64(s.config().MaxClients) }, func(n int64) error {
		if n < 1 {
			return errors.New("argument must be between 1 and 4294967295 inclusive")
		}
		s.setCfg(func(c *Config) { c.MaxClients = int(n) })
		return nil
	})
	add("maxclients", g, st)
	g, st = intParam(func() int64 { return int64(s.config().Timeout / time.Second) }, func(n int64) error {
		if n < 0 {
			return errors.New("argument must be between 0 and 2147483647 inclusive")
		}
		s.setCfg(func(c *Config) { c.Timeout = time.Duration(n) * time.Second })
		s.timeout.Store(int64(time.Duration(n) * time.Second))
		return nil
	})
	add("timeout", g, st)
	add("proto-max-bulk-len", func() string { return strconv.FormatInt(s.config().ProtoMaxBulkLen, 10) }, func(v string) error {
		n, err := ParseMemory(v)
		if err != nil {
			return err
		}
		if n < 1<<20 {
			return errors.New("argument must be a memory value of at least 1mb")
		}
		s.setCfg(func(c *Config) { c.ProtoMaxBulkLen = n })
		s.maxBulk.Store(n)
		return nil
	})
	add("client-query-buffer-limit", func() string { return strconv.FormatInt(s.config().QueryBufferLimit, 10) }, func(v string) error {
		n, err := ParseMemory(v)
		if err != nil {
			return err
		}
		s.setCfg(func(c *Config) { c.QueryBufferLimit = n })
		s.maxQuery.Store(n)
		return nil
	})
	g, st = boolParam(func() bool { return s.config().ProtectedMode }, func(b bool) { s.setCfg(func(c *Config) { c.ProtectedMode = b }) })
	add("protected-mode", g, st)
	add("maxmemory", func() string { m, _, _ := s.eng.MemoryConfig(); return strconv.FormatInt(m, 10) }, func(v string) error {
		n, err := ParseMemory(v)
		if err != nil {
			return err
		}
		_, p, smp := s.eng.MemoryConfig()
		s.eng.SetMaxMemory(n, p, smp)
		return nil
	})
	add("maxmemory-policy", func() string { _, p, _ := s.eng.MemoryConfig(); return p }, func(v string) error {
		v = strings.ToLower(v)
		if !slices.Contains(cache.Policies, v) {
			return errors.New("argument(s) must be one of the following: " + strings.Join(cache.Policies, ", "))
		}
		m, _, smp := s.eng.MemoryConfig()
		s.eng.SetMaxMemory(m, v, smp)
		return nil
	})
	g, st = intParam(func() int64 { _, _, n := s.eng.MemoryConfig(); return int64(n) }, func(n int64) error {
		if n < 1 || n > 64 {
			return errors.New("argument must be between 1 and 64 inclusive")
		}
		m, p, _ := s.eng.MemoryConfig()
		s.eng.SetMaxMemory(m, p, int(n))
		return nil
	})
	add("maxmemory-samples", g, st)
	g, st = intParam(func() int64 { return s.slowlog.thresholdMicros() }, func(n int64) error { s.slowlog.setThreshold(n); return nil })
	add("slowlog-log-slower-than", g, st)
	g, st = intParam(func() int64 { return int64(s.slowlog.maxLen()) }, func(n int64) error {
		if n < 0 {
			return errors.New("argument must be between 0 and 9223372036854775807 inclusive")
		}
		s.slowlog.setMaxLen(int(n))
		return nil
	})
	add("slowlog-max-len", g, st)
	if s.host != nil {
		ps = append(ps, s.host.Params()...)
	}
	m := make(map[string]*Param, len(ps))
	for i := range ps {
		m[ps[i].Name] = &ps[i]
	}
	return m
}

func cmdConfig(c *conn, args [][]byte) {
	switch strings.ToUpper(string(args[1])) {
	case "GET":
		if len(args) < 3 {
			c.w.Error(cache.WrongArity("config|get"))
			return
		}
		found := map[string]string{}
		for _, a := range args[2:] {
			pat := strings.ToLower(string(a))
			for name, p := range c.srv.params {
				if cache.Glob(pat, name, true) {
					found[name] = p.Get()
				}
			}
		}
		names := make([]string, 0, len(found))
		for n := range found {
			names = append(names, n)
		}
		sort.Strings(names)
		c.w.Map(len(names))
		for _, n := range names {
			c.w.BulkString(n)
			c.w.BulkString(found[n])
		}
	case "SET":
		if len(args) < 4 || len(args)%2 != 0 {
			c.w.Error(cache.WrongArity("config|set"))
			return
		}
		seen := map[string]bool{}
		for i := 2; i < len(args); i += 2 {
			name := strings.ToLower(string(args[i]))
			p := c.srv.params[name]
			if p == nil || p.Set == nil {
				c.w.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
				return
			}
			if seen[name] {
				c.w.Error("ERR Duplicate parameter - " + name)
				return
			}
			seen[name] = true
		}
		for i := 2; i < len(args); i += 2 {
			name := strings.ToLower(string(args[i]))
			if err := c.srv.params[name].Set(string(args[i+1])); err != nil {
				c.w.Error(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err))
				return
			}
		}
		c.w.Status("OK")
	case "RESETSTAT":
		c.srv.stats.commands.Store(0)
		c.srv.stats.connections.Store(0)
		c.srv.stats.rejected.Store(0)
		c.srv.stats.netIn.Store(0)
		c.srv.stats.netOut.Store(0)
		c.srv.slowlog.reset()
		c.srv.eng.ResetStats()
		c.w.Status("OK")
	case "REWRITE":
		c.w.Error("ERR The server is running without a config file")
	case "HELP":
		writeHelp(c, "CONFIG", []string{
			"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
			"RESETSTAT", "    Reset statistics reported by the INFO command.",
			"REWRITE", "    Rewrite the configuration file.",
		})
	default:
		unknownSubcommand(c, args)
	}
}
