package cache

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The redis.* API offered to scripts and functions.

const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f
)

// newRedisAPI builds the full redis table and the reduced one a function
// library's top level sees while it loads (register_function, log, version).
func (vm *luaVM) newRedisAPI() (full, load *lua.LTable) {
	L := vm.L
	full, load = L.NewTable(), L.NewTable()
	common := func(t *lua.LTable) {
		t.RawSetString("log", L.NewFunction(vm.redisLog))
		t.RawSetString("LOG_DEBUG", lua.LNumber(0))
		t.RawSetString("LOG_VERBOSE", lua.LNumber(1))
		t.RawSetString("LOG_NOTICE", lua.LNumber(2))
		t.RawSetString("LOG_WARNING", lua.LNumber(3))
		t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
		t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	}
	common(full)
	common(load)
	// Only a library's top level may register functions; at run time the
	// field is absent, as in Redis.
	load.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	fns := map[string]lua.LGFunction{
		"call":         func(L *lua.LState) int { return vm.redisCall(L, true) },
		"pcall":        func(L *lua.LState) int { return vm.redisCall(L, false) },
		"sha1hex":      redisSha1hex,
		"error_reply":  redisErrorReply,
		"status_reply": redisStatusReply,
		"setresp":      vm.redisSetResp,
		"set_repl":     func(L *lua.LState) int { return 0 }, // one log entry per script: nothing to choose
		"replicate_commands": func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		},
		"breakpoint": func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":      func(L *lua.LState) int { return 0 },
		"acl_check_cmd": func(L *lua.LState) int {
			if L.GetTop() == 0 || vm.run == nil || vm.run.c.e.cmds.lookup([]byte(L.ToString(1))) == nil {
				raiseRedisError(L, "ERR Invalid command passed to redis.acl_check_cmd()")
			}
			L.Push(lua.LTrue)
			return 1
		},
	}
	for name, fn := range fns {
		full.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		full.RawSetString(name, lua.LNumber(v))
	}
	return full, load
}

// errorTable is Redis's error value: a table with an err field holding the
// message with its code ("ERR …" when the message has none).
func errorTable(L *lua.LState, msg string) *lua.LTable {
	msg = strings.TrimRight(strings.TrimPrefix(msg, "-"), "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// raiseRedisError raises msg as an error table, as luaPushError + luaError.
func raiseRedisError(L *lua.LState, msg string) {
	L.Error(errorTable(L, msg), 0)
}

// redisCall implements redis.call (raise) and redis.pcall.
func (vm *luaVM) redisCall(L *lua.LState, raise bool) int {
	fail := func(msg string) int {
		if raise {
			raiseRedisError(L, msg)
		}
		L.Push(errorTable(L, msg))
		return 1
	}
	run := vm.run
	if run == nil || run.loading != nil {
		return fail("ERR redis.call/pcall can only be called inside a script invocation")
	}
	n := L.GetTop()
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			args[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
		case lua.LString:
			args[i-1] = []byte(v)
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	L.SetTop(0)
	b := &luaReplyBuilder{L: L, proto: run.resp}
	if msg := vm.execFromScript(args, b); msg != "" {
		return fail(msg)
	}
	if raise && b.topErr {
		L.Error(b.result, 0)
	}
	L.Push(b.result)
	return 1
}

// execFromScript runs one command for a script. It returns an error text
// for commands the script may not run; the command's own reply (an error
// included) goes to w.
func (vm *luaVM) execFromScript(args [][]byte, w *luaReplyBuilder) string {
	run := vm.run
	parent := run.c
	cmd := parent.e.cmds.lookup(args[0])
	if cmd == nil {
		return "ERR Unknown Redis command called from script"
	}
	if !cmd.CheckArity(len(args)) {
		return "ERR Wrong number of args calling Redis command from script"
	}
	if cmd.Flags&FlagNoScript != 0 {
		return "ERR This Redis command is not allowed from script"
	}
	if cmd.Flags&FlagWrite != 0 {
		if run.readOnly {
			return "ERR Write commands are not allowed from read-only scripts."
		}
		if !parent.applying {
			// A read-only invocation runs under the read lock.
			return "ERR Write commands are not allowed from read-only scripts."
		}
	}
	if cmd.Name == "select" {
		dbi, ok := parseDBIndex(args)
		if !ok {
			w.Error(ErrDBIndex)
			return ""
		}
		run.db = parent.ks.dbs[dbi]
		w.Status("OK")
		return ""
	}
	if cmd.Flags&FlagWrite != 0 {
		// Relative expiries become absolute at the entry's time, as the
		// engine does for commands it logs.
		if a := absoluteExpiry(cmd, args, parent.Now); &a[0] != &args[0] {
			args = a
			if c2 := parent.e.cmds.lookup(a[0]); c2 != nil {
				cmd = c2
			}
		}
	}
	sub := Ctx{e: parent.e, ks: parent.ks, db: run.db, Now: parent.Now, seed: run.rng.Uint64(),
		W: w, applying: parent.applying, inScript: true, inMulti: parent.inMulti}
	cmd.Run(&sub, args)
	sub.finish()
	return ""
}

func redisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raiseRedisError(L, "ERR wrong number of arguments")
	}
	sum := sha1.Sum([]byte(L.ToString(1)))
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

func redisErrorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(errorTable(L, "ERR wrong number or type of arguments"))
		return 1
	}
	msg := L.ToString(1)
	msg = strings.TrimPrefix(msg, "-")
	if !strings.Contains(msg, " ") {
		msg = "ERR " + msg
	}
	L.Push(errorTable(L, msg))
	return 1
}

func redisStatusReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		L.Push(errorTable(L, "ERR wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", L.Get(1))
	L.Push(t)
	return 1
}

func (vm *luaVM) redisSetResp(L *lua.LState) int {
	if vm.run == nil {
		raiseRedisError(L, "ERR redis.setresp can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		raiseRedisError(L, "ERR redis.setresp() requires one argument.")
	}
	n, ok := L.Get(1).(lua.LNumber)
	if !ok || (n != 2 && n != 3) {
		raiseRedisError(L, "ERR RESP version must be 2 or 3.")
	}
	vm.run.resp = int(n)
	return 0
}

// redisLog writes through the engine's logger: DEBUG and VERBOSE at debug
// level, NOTICE at info, WARNING at warn.
func (vm *luaVM) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raiseRedisError(L, "ERR redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		raiseRedisError(L, "ERR First argument must be a number (log level).")
	}
	if lv < 0 || lv > 3 {
		raiseRedisError(L, "ERR Invalid debug level.")
	}
	parts := make([]string, 0, n-1)
	for i := 2; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString, lua.LNumber:
			parts = append(parts, v.String())
		}
	}
	level := []slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn}[int(lv)]
	if vm.run != nil && vm.run.c.e != nil {
		vm.run.c.e.log.Log(context.Background(), level, strings.Join(parts, " "), "source", "script")
	}
	return 0
}
