package cache

import (
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Redis 7 functions. A library is replicated state: FUNCTION LOAD, DELETE,
// FLUSH and RESTORE are logged and applied in order, and the libraries are
// saved with every snapshot (registerFunctionsSnapshot).
//
// A library is kept as its code and compiled form. FCALL runs the library's
// top level again in a fresh environment before calling the function, so a
// function never sees state that an earlier call left in library-level
// variables: such state would survive in one pooled interpreter and not in
// another, or not across a restart, and replicas would diverge. (Redis keeps
// one long-lived interpreter; its documentation warns not to rely on that
// state either.) The cost is the top level's instructions per call.

type library struct {
	name  string
	code  []byte // as loaded, shebang included
	proto *lua.FunctionProto
	funcs []*libFunction // sorted by name
}

type libFunction struct {
	name, desc string
	flags      scriptFlags
	lib        *library
}

// validName is functionsVerifyName: [A-Za-z0-9_]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errLibName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// libraryMeta parses the "#!lua name=<lib>" line; it returns the library
// name and the offset of the code after the shebang (its line feed kept).
func libraryMeta(code []byte) (name string, skip int, errMsg string) {
	if !strings.HasPrefix(string(code), "#!") {
		return "", 0, "ERR Missing library metadata"
	}
	end := strings.IndexByte(string(code), '\n')
	if end < 0 {
		return "", 0, "ERR Invalid library metadata"
	}
	parts := strings.Fields(string(code[:end]))
	if len(parts) == 0 {
		return "", 0, "ERR Invalid library metadata"
	}
	engine := parts[0][2:]
	named := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return "", 0, "ERR Invalid metadata value, name argument was given multiple times"
			}
			name, named = p[5:], true
			continue
		}
		return "", 0, "ERR Invalid metadata value given: " + p
	}
	if !named {
		return "", 0, "ERR Library name was not given"
	}
	if !validName(name) {
		return "", 0, "ERR " + errLibName
	}
	if !strings.EqualFold(engine, "lua") {
		return "", 0, "ERR Engine '" + engine + "' not found"
	}
	return name, end, ""
}

// compileLibrary compiles code and runs its top level to learn the functions
// it registers. It does not touch the registry.
func (e *Engine) compileLibrary(c *Ctx, code []byte) (*library, string) {
	name, skip, errMsg := libraryMeta(code)
	if errMsg != "" {
		return nil, errMsg
	}
	proto, err := compileLua(code[skip:], "user_function")
	if err != nil {
		return nil, "ERR Error compiling function: " + err.Error()
	}
	lib := &library{name: name, code: append([]byte(nil), code...), proto: proto}
	s := e.scripting()
	vm := s.getVM()
	defer s.putVM(vm)
	regs, serr := vm.instantiate(newScriptRun(c, name, true), lib, e.scriptBudget())
	if serr != nil {
		return nil, "ERR Error registering functions: " + serr.msg
	}
	if len(regs) == 0 {
		return nil, "ERR No functions registered"
	}
	for _, r := range regs {
		lib.funcs = append(lib.funcs, &libFunction{name: r.name, desc: r.desc, flags: r.flags, lib: lib})
	}
	slices.SortFunc(lib.funcs, func(a, b *libFunction) int { return strings.Compare(a.name, b.name) })
	return lib, ""
}

// instantiate runs lib's top level in a fresh environment and returns what
// it registered. The run's globals stay in place for a following call.
func (vm *luaVM) instantiate(run *scriptRun, lib *library, budget int64) ([]registered, *scriptError) {
	var regs []registered
	run.loading = &regs
	vm.begin(run, budget, vm.redisLoad)
	_, serr := vm.call(vm.L.NewFunctionFromProto(lib.proto))
	run.loading = nil
	return regs, serr
}

// registerFunction is redis.register_function(name, fn) or
// redis.register_function{function_name=…, callback=…, flags={…}, description=…}.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	run := vm.run
	if run == nil || run.loading == nil {
		raiseRedisError(L, "ERR redis.register_function can only be called on FUNCTION LOAD command")
	}
	var r registered
	switch L.GetTop() {
	case 1:
		r = readNamedRegistration(L)
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			raiseRedisError(L, "ERR first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raiseRedisError(L, "ERR second argument to redis.register_function must be a function")
		}
		r = registered{name: string(name), fn: fn}
	default:
		raiseRedisError(L, "ERR wrong number of arguments to redis.register_function")
	}
	if !validName(r.name) {
		raiseRedisError(L, "ERR "+errLibName)
	}
	for _, x := range *run.loading {
		if x.name == r.name {
			raiseRedisError(L, "ERR Function already exists in the library")
		}
	}
	*run.loading = append(*run.loading, r)
	return 0
}

func readNamedRegistration(L *lua.LState) registered {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		raiseRedisError(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
	}
	var r registered
	var errMsg string
	luaPairs(t, func(k, v lua.LValue) {
		if errMsg != "" {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			errMsg = "named argument key given to redis.register_function is not a string"
			return
		}
		switch strings.ToLower(string(key)) {
		case "function_name":
			s, ok := v.(lua.LString)
			if !ok {
				errMsg = "function_name argument given to redis.register_function must be a string"
			}
			r.name = string(s)
		case "description":
			s, ok := v.(lua.LString)
			if !ok {
				errMsg = "description argument given to redis.register_function must be a string"
			}
			r.desc = string(s)
		case "callback":
			fn, ok := v.(*lua.LFunction)
			if !ok {
				errMsg = "callback argument given to redis.register_function must be a function"
			}
			r.fn = fn
		case "flags":
			ft, ok := v.(*lua.LTable)
			if !ok {
				errMsg = "flags argument to redis.register_function must be a table representing function flags"
				return
			}
			for i := 1; ft.RawGetInt(i) != lua.LNil; i++ {
				s, ok := ft.RawGetInt(i).(lua.LString)
				f, known := parseScriptFlag(string(s), true)
				if !ok || !known {
					errMsg = "unknown flag given"
					return
				}
				r.flags |= f
			}
		default:
			errMsg = "unknown argument given to redis.register_function"
		}
	})
	switch {
	case errMsg != "":
	case r.name == "":
		errMsg = "redis.register_function must get a function name argument"
	case r.fn == nil:
		errMsg = "redis.register_function must get a callback argument"
	}
	if errMsg != "" {
		raiseRedisError(L, "ERR "+errMsg)
	}
	return r
}

// linkLibraries adds libs to the registry. Libraries with the same name as
// an existing one fail unless replace; a function name already used by
// another library fails always. On failure nothing changes.
func (s *scripting) linkLibraries(libs []*library, replace bool) string {
	for _, lib := range libs {
		if s.libs[lib.name] != nil && !replace {
			return "ERR Library " + lib.name + " already exists"
		}
	}
	replaced := make(map[string]bool)
	for _, lib := range libs {
		replaced[lib.name] = true
	}
	for _, lib := range libs {
		for _, f := range lib.funcs {
			if old := s.funcs[strings.ToLower(f.name)]; old != nil && !replaced[old.lib.name] {
				return "ERR Function " + f.name + " already exists"
			}
		}
	}
	for _, lib := range libs {
		s.unlink(lib.name)
		s.libs[lib.name] = lib
		for _, f := range lib.funcs {
			s.funcs[strings.ToLower(f.name)] = f
		}
	}
	return ""
}

func (s *scripting) unlink(name string) bool {
	lib := s.libs[name]
	if lib == nil {
		return false
	}
	for _, f := range lib.funcs {
		delete(s.funcs, strings.ToLower(f.name))
	}
	delete(s.libs, name)
	return true
}

func (s *scripting) flushLibraries() {
	s.libs = make(map[string]*library)
	s.funcs = make(map[string]*libFunction)
}

// sortedLibraries lists the libraries by name, so replies and snapshots do
// not depend on map order.
func (s *scripting) sortedLibraries() []*library {
	out := make([]*library, 0, len(s.libs))
	for _, l := range s.libs {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *library) int { return strings.Compare(a.name, b.name) })
	return out
}

func cmdFcall(c *Ctx, a [][]byte)   { fcallGeneric(c, a, false) }
func cmdFcallRO(c *Ctx, a [][]byte) { fcallGeneric(c, a, true) }

func fcallGeneric(c *Ctx, a [][]byte, ro bool) {
	s := c.e.scripting()
	f := s.funcs[strings.ToLower(string(a[1]))]
	if f == nil {
		c.W.Error("ERR Function not found")
		return
	}
	numkeys, ok := scriptNumKeys(c, a, "ERR Bad number of keys provided")
	if !ok {
		return
	}
	if ro && f.flags&sfNoWrites == 0 {
		c.W.Error("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	run := newScriptRun(c, f.name, ro || f.flags&sfNoWrites != 0)
	vm := s.getVM()
	defer s.putVM(vm)
	regs, serr := vm.instantiate(run, f.lib, c.e.scriptBudget())
	if serr != nil {
		c.W.Error(serr.msg)
		return
	}
	var fn *lua.LFunction
	for _, r := range regs {
		if r.name == f.name {
			fn = r.fn
		}
	}
	if fn == nil { // the top level registers conditionally: not deterministic in Redis either
		c.W.Error("ERR Function not found")
		return
	}
	vm.L.G.Global.RawSetString("redis", vm.proxy(vm.redisFull))
	// The budget left after the top level is the function's.
	v, serr := vm.call(fn, luaStrings(vm.L, a[3:3+numkeys]), luaStrings(vm.L, a[3+numkeys:]))
	if serr != nil {
		c.W.Error(serr.msg)
		return
	}
	writeLuaReply(c.W, v, run.resp, 0)
}
