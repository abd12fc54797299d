package cache

import (
	"crypto/sha1"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// The script cache and EVAL. The cache (SHA1 → body and compiled code) is
// not replicated state: EVALSHA is rewritten into EVAL with the body before
// it is logged (prepareEvalSha), so the log never depends on what a node has
// cached, and EVAL compiles on a cache miss at apply. SCRIPT LOAD and FLUSH
// therefore change only this node's cache and are not logged.

// ErrNoScript is EVALSHA's reply for an unknown SHA1.
const ErrNoScript = "NOSCRIPT No matching script. Please use EVAL."

// scriptFlags are the flags of a script shebang or a registered function.
type scriptFlags uint8

const (
	sfNoWrites scriptFlags = 1 << iota
	sfAllowOOM
	sfAllowStale
	sfNoCluster
	sfAllowCrossSlot
	sfCompat // EVAL script without a shebang: Redis 6 semantics
)

// scriptFlagNames in Redis's order (FUNCTION LIST reports them so).
var scriptFlagNames = []struct {
	f    scriptFlags
	name string
}{{sfNoWrites, "no-writes"}, {sfAllowOOM, "allow-oom"}, {sfAllowStale, "allow-stale"},
	{sfNoCluster, "no-cluster"}, {sfAllowCrossSlot, "allow-cross-slot-keys"}}

type cachedScript struct {
	sha   string
	body  []byte
	proto *lua.FunctionProto
	flags scriptFlags
}

// scripting is an engine's scripting state.
type scripting struct {
	mu      sync.Mutex
	scripts map[string]*cachedScript // by lower-case SHA1
	vms     sync.Pool                // *luaVM

	// The function libraries are replicated state: changed only at apply,
	// guarded by Engine.mu.
	libs  map[string]*library
	funcs map[string]*libFunction // by lower-case name: FCALL ignores case
}

func newScripting() *scripting {
	s := &scripting{scripts: make(map[string]*cachedScript), libs: make(map[string]*library),
		funcs: make(map[string]*libFunction)}
	s.vms.New = func() any { return newLuaVM() }
	return s
}

func (e *Engine) scripting() *scripting { return e.scripts }

func (s *scripting) getVM() *luaVM  { return s.vms.Get().(*luaVM) }
func (s *scripting) putVM(v *luaVM) { v.end(); s.vms.Put(v) }

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// lookup returns the cached script with the given SHA1 (any case), or nil.
func (s *scripting) lookup(sha []byte) *cachedScript {
	if len(sha) != 40 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scripts[strings.ToLower(string(sha))]
}

// load compiles body (once per SHA1) and caches it, or returns the error
// reply Redis gives for a bad shebang or a compile error.
func (s *scripting) load(body []byte) (*cachedScript, string) {
	sha := sha1Hex(body)
	s.mu.Lock()
	sc := s.scripts[sha]
	s.mu.Unlock()
	if sc != nil {
		return sc, ""
	}
	flags, skip, errMsg := evalShebang(body)
	if errMsg != "" {
		return nil, "ERR " + errMsg
	}
	proto, err := compileLua(body[skip:], "user_script")
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + err.Error()
	}
	sc = &cachedScript{sha: sha, body: append([]byte(nil), body...), proto: proto, flags: flags}
	s.mu.Lock()
	if old := s.scripts[sha]; old != nil {
		sc = old
	} else {
		s.scripts[sha] = sc
	}
	s.mu.Unlock()
	return sc, ""
}

func compileLua(code []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(string(code)), name)
	if err != nil {
		return nil, err
	}
	return lua.Compile(chunk, name)
}

// evalShebang reads an EVAL script's "#!lua flags=…" line. It returns the
// flags and how many bytes to skip: the shebang without its line feed, so
// line numbers stay those of the body.
func evalShebang(body []byte) (scriptFlags, int, string) {
	if !strings.HasPrefix(string(body), "#!") {
		return sfCompat, 0, ""
	}
	end := strings.IndexByte(string(body), '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts := strings.Fields(string(body[:end]))
	if len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	var flags scriptFlags
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := parseScriptFlag(name, false)
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, end, ""
}

func parseScriptFlag(name string, fold bool) (scriptFlags, bool) {
	for _, f := range scriptFlagNames {
		if f.name == name || (fold && strings.EqualFold(f.name, name)) {
			return f.f, true
		}
	}
	return 0, false
}

// evalKeys locates EVAL/EVALSHA/FCALL keys: numkeys at args[2], then the keys.
func evalKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := parseInt(args[2])
	if !ok || n < 0 || n > int64(len(args)-3) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 3 + i
	}
	return out
}

// prepareEvalSha rewrites EVALSHA into EVAL with the script's body before it
// is logged, so that replay and replicas never need this node's cache.
func prepareEvalSha(e *Engine, args [][]byte) ([][]byte, string) {
	if len(args) < 3 {
		return args, ""
	}
	if n, ok := parseInt(args[2]); !ok || n < 0 || n > int64(len(args)-3) {
		return args, "" // EVALSHA itself answers the numkeys error
	}
	sc := e.scripting().lookup(args[1])
	if sc == nil {
		return nil, ErrNoScript
	}
	out := make([][]byte, len(args))
	out[0], out[1] = []byte("EVAL"), sc.body
	copy(out[2:], args[2:])
	return out, ""
}

// scriptNumKeys parses EVAL's numkeys, replying Redis's error if it is bad.
func scriptNumKeys(c *Ctx, a [][]byte, badMsg string) (int, bool) {
	n, ok := parseInt(a[2])
	switch {
	case !ok:
		c.W.Error(badMsg)
	case n > int64(len(a)-3):
		c.W.Error("ERR Number of keys can't be greater than number of args")
	case n < 0:
		c.W.Error("ERR Number of keys can't be negative")
	default:
		return int(n), true
	}
	return 0, false
}

func cmdEval(c *Ctx, a [][]byte)      { evalGeneric(c, a, false, false) }
func cmdEvalRO(c *Ctx, a [][]byte)    { evalGeneric(c, a, false, true) }
func cmdEvalSha(c *Ctx, a [][]byte)   { evalGeneric(c, a, true, false) }
func cmdEvalShaRO(c *Ctx, a [][]byte) { evalGeneric(c, a, true, true) }

func evalGeneric(c *Ctx, a [][]byte, bySha, ro bool) {
	if bySha && len(a[1]) != 40 {
		c.W.Error(ErrNoScript)
		return
	}
	numkeys, ok := scriptNumKeys(c, a, ErrNotInt)
	if !ok {
		return
	}
	s := c.e.scripting()
	var sc *cachedScript
	if bySha {
		if sc = s.lookup(a[1]); sc == nil {
			c.W.Error(ErrNoScript)
			return
		}
	} else {
		var errMsg string
		if sc, errMsg = s.load(a[1]); errMsg != "" {
			c.W.Error(errMsg)
			return
		}
	}
	if ro && sc.flags&(sfCompat|sfNoWrites) == 0 {
		c.W.Error("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	run := newScriptRun(c, sc.sha, ro || sc.flags&sfNoWrites != 0)
	vm := s.getVM()
	defer s.putVM(vm)
	g := vm.begin(run, c.e.scriptBudget(), vm.redisFull)
	g.RawSetString("KEYS", luaStrings(vm.L, a[3:3+numkeys]))
	g.RawSetString("ARGV", luaStrings(vm.L, a[3+numkeys:]))
	v, serr := vm.call(vm.L.NewFunctionFromProto(sc.proto))
	if serr != nil {
		c.W.Error(serr.msg)
		return
	}
	writeLuaReply(c.W, v, run.resp, 0)
}

func newScriptRun(c *Ctx, name string, readOnly bool) *scriptRun {
	seed := c.Rand().Uint64()
	return &scriptRun{c: c, db: c.db, resp: 2, readOnly: readOnly, name: name,
		rng: rand.New(rand.NewPCG(seed, seed^0xda3e39cb94b95bdb))}
}

func (e *Engine) scriptBudget() int64 {
	if e.cfg.ScriptBudget > 0 {
		return e.cfg.ScriptBudget
	}
	return DefaultConfig().ScriptBudget
}

func luaStrings(L *lua.LState, args [][]byte) *lua.LTable {
	t := L.CreateTable(len(args), 0)
	for i, a := range args {
		t.RawSetInt(i+1, lua.LString(a))
	}
	return t
}
