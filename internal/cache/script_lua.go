package cache

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The Lua interpreter bridge. Scripts run at apply time on every replica, so
// a run must depend on nothing but the script, its arguments, the keyspace and
// the entry's time and seed:
//
//   - interpreter states are pooled, but every run gets a fresh global table
//     (and fresh read-only proxies of the libraries), so nothing a script
//     stores survives into the next run on that state;
//   - math.random draws from a generator seeded from the entry (c.Rand);
//   - the busy-script limit counts VM instructions, not time (see budgetCtx).
//
// Left out on purpose: the coroutine library (gopher-lua runs coroutines
// with context-watching goroutines, which would break instruction counting),
// and Redis's struct, cmsgpack and bit libraries.

// budgetCtx is the instruction budget. gopher-lua, when an LState has a
// context, runs mainLoopWithContext, which selects on ctx.Done() once before
// every VM instruction (vm.go). Done counts those calls: a nil channel (never
// ready) while budget is left, a closed one afterwards, so the VM raises an
// error at exactly the same instruction on every replica. Once exhausted it
// stays exhausted, so a pcall in the script cannot swallow it: the very next
// instruction raises again.
type budgetCtx struct {
	left      int64
	exhausted bool
}

var (
	closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
	errBudget  = errors.New("busy-script instruction budget exhausted")
)

func (b *budgetCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (b *budgetCtx) Value(any) any               { return nil }
func (b *budgetCtx) Done() <-chan struct{} {
	b.left--
	if b.left < 0 {
		b.exhausted = true
		return closedChan
	}
	return nil
}
func (b *budgetCtx) Err() error {
	if b.exhausted {
		return errBudget
	}
	return nil
}

var _ context.Context = (*budgetCtx)(nil)

// scriptRun is the state of one script or function invocation.
type scriptRun struct {
	c        *Ctx // the EVAL/FCALL command's context: engine, keyspace, time
	db       *db  // the script's database (SELECT inside a script changes it)
	resp     int  // protocol the script's redis.call replies use (redis.setresp)
	readOnly bool // EVAL_RO, FCALL_RO, or a no-writes script
	rng      *rand.Rand
	name     string // sha or function name, for error messages
	// loading is set while a library's top level runs (FUNCTION LOAD or the
	// re-instantiation before FCALL); redis.register_function appends here.
	loading *[]registered
}

// registered is one redis.register_function call.
type registered struct {
	name, desc string
	flags      scriptFlags
	fn         *lua.LFunction
}

// luaVM is one pooled interpreter state with the Redis API installed.
type luaVM struct {
	L          *lua.LState
	budget     budgetCtx
	budgetSize int64
	run        *scriptRun
	base       []baseEntry // global functions copied into each run's globals
	libs       []libProxy  // library tables exposed through read-only proxies
	globalMeta *lua.LTable
	// Proxy metatables of the redis table: the full API, and what a
	// library's top level sees while it loads.
	redisFull, redisLoad *lua.LTable
	errHandler           *lua.LFunction
	jsonNull             *lua.LUserData
}

type baseEntry struct {
	name string
	v    lua.LValue
}

type libProxy struct {
	name string
	meta *lua.LTable
}

// Globals of the base library that Redis does not offer to scripts.
var luaDenied = map[string]bool{"dofile": true, "loadfile": true, "print": true,
	"require": true, "module": true, "_GOPHER_LUA_VERSION": true, "_G": true}

func newLuaVM() *luaVM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	vm := &luaVM{L: L}
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(vm.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(vm.mathRandomSeed))
	g.RawSetString("cjson", vm.newJSONLib())
	g.RawSetString("pcall", L.NewFunction(vm.pcall))
	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	full, load := vm.newRedisAPI()
	vm.redisFull, vm.redisLoad = vm.proxyMeta(full, readonly), vm.proxyMeta(load, readonly)
	// A string's metatable leads to the real string table: hide it.
	if sm, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		sm.RawSetString("__metatable", lua.LFalse)
	}
	g.ForEach(func(k, v lua.LValue) {
		name, ok := k.(lua.LString)
		if !ok || luaDenied[string(name)] {
			return
		}
		if t, ok := v.(*lua.LTable); ok {
			vm.libs = append(vm.libs, libProxy{string(name), vm.proxyMeta(t, readonly)})
			return
		}
		vm.base = append(vm.base, baseEntry{string(name), v})
	})
	// ForEach walks a Go map: sort, so every state fills a run's globals in
	// the same order and pairs(_G) is the same on every replica.
	slices.SortFunc(vm.base, func(a, b baseEntry) int { return strings.Compare(a.name, b.name) })
	slices.SortFunc(vm.libs, func(a, b libProxy) int { return strings.Compare(a.name, b.name) })
	vm.globalMeta = L.NewTable()
	vm.globalMeta.RawSetString("__newindex", readonly)
	vm.globalMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	}))
	vm.globalMeta.RawSetString("__metatable", lua.LFalse)
	vm.errHandler = L.NewFunction(vm.handleError)
	L.SetContext(&vm.budget)
	return vm
}

func (vm *luaVM) proxyMeta(t *lua.LTable, readonly *lua.LFunction) *lua.LTable {
	m := vm.L.NewTable()
	m.RawSetString("__index", t)
	m.RawSetString("__newindex", readonly)
	m.RawSetString("__metatable", lua.LFalse)
	return m
}

func (vm *luaVM) proxy(meta *lua.LTable) *lua.LTable {
	p := vm.L.NewTable()
	vm.L.SetMetatable(p, meta)
	return p
}

// begin prepares the state for a run: a fresh, protected global table, the
// budget, and the run's generator. It returns the new globals.
func (vm *luaVM) begin(run *scriptRun, budget int64, redisMeta *lua.LTable) *lua.LTable {
	L := vm.L
	g := L.CreateTable(0, len(vm.base)+len(vm.libs)+4)
	for _, b := range vm.base {
		g.RawSetString(b.name, b.v)
	}
	for _, l := range vm.libs {
		g.RawSetString(l.name, vm.proxy(l.meta))
	}
	g.RawSetString("redis", vm.proxy(redisMeta))
	g.RawSetString("_G", g)
	L.SetMetatable(g, vm.globalMeta)
	L.G.Global = g
	L.Env = g
	vm.run = run
	vm.budget = budgetCtx{left: budget}
	vm.budgetSize = budget
	return g
}

// end detaches the run so that a pooled state keeps no reference to it.
func (vm *luaVM) end() {
	vm.run = nil
	vm.L.SetTop(0)
}

// scriptError is how a failed run is answered.
type scriptError struct {
	msg string // the full error reply, code first
}

// call runs fn with args under the run's budget and returns its single
// result, or the error reply Redis would give.
func (vm *luaVM) call(fn *lua.LFunction, args ...lua.LValue) (lua.LValue, *scriptError) {
	L := vm.L
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, vm.errHandler)
	if err != nil {
		if ae, ok := err.(*lua.ApiError); ok && vm.budget.exhausted {
			if t, ok := ae.Object.(*lua.LTable); ok {
				t.RawSetString("err", lua.LString("ERR Script killed after exceeding the busy-script limit of "+
					strconv.FormatInt(vm.budgetSize, 10)+" Lua instructions"))
			}
		}
		L.SetTop(0)
		return nil, &scriptError{msg: vm.errorText(err)}
	}
	v := L.Get(-1)
	L.Pop(1)
	return v, nil
}

// handleError is the message handler of a run: like Redis's
// __redis__err__handler it turns the error into a table {err, source, line},
// taking the position from the Lua code that called a failing Go function.
func (vm *luaVM) handleError(L *lua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*lua.LTable)
	if !ok || t.RawGetString("err").Type() != lua.LTString {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+lua.LVAsString(L.ToStringMeta(errv))))
	}
	for level := 1; level <= 2; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		if dbg.CurrentLine > 0 {
			t.RawSetString("source", lua.LString("@"+dbg.Source))
			t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		}
		break
	}
	L.Push(t)
	return 1
}

// errorText formats a run's error as Redis 7.0 does:
// "<err> script: <name>, on <source>:<line>."
func (vm *luaVM) errorText(err error) string {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		return "ERR Error running script " + vm.run.name + ", " + err.Error()
	}
	t, ok := ae.Object.(*lua.LTable)
	if !ok {
		return "ERR Error running script " + vm.run.name + ", " + trim100(ae.Object.String())
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	src, line := t.RawGetString("source"), t.RawGetString("line")
	if src.Type() == lua.LTString && line.Type() == lua.LTNumber {
		msg += " script: " + vm.run.name + ", on " + src.String() + ":" + line.String() + "."
	}
	return msg
}

func trim100(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

// pcall replaces Lua's: an error raised as a Redis error table comes back as
// its message string, as in Redis 7.
func (vm *luaVM) pcall(L *lua.LState) int {
	top := L.GetTop()
	if top == 0 {
		L.ArgError(1, "value expected")
	}
	if err := L.PCall(top-1, lua.MultRet, nil); err != nil {
		obj := lua.LValue(lua.LString(err.Error()))
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
			if t, ok := obj.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					obj = s
				}
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// mathRandom is Lua 5.1's math.random over the run's seeded generator.
func (vm *luaVM) mathRandom(L *lua.LState) int {
	if vm.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	r := vm.run.rng.Float64()
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (vm *luaVM) mathRandomSeed(L *lua.LState) int {
	if vm.run == nil {
		L.RaiseError("math.randomseed can only be called inside a script invocation")
	}
	seed := uint64(L.CheckInt(1))
	vm.run.rng = rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	return 0
}
