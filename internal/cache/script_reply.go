package cache

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Conversions between command replies and Lua values, as Redis 7.0 makes
// them (script_lua.c: redisProtocolToLuaType and luaReplyToRedisReply).

// luaReplyBuilder is the Reply a command run by redis.call writes to: it
// builds the Lua value the script receives. With RESP2 (the default) nulls
// become false; after redis.setresp(3) they become nil and maps, sets,
// doubles, booleans and verbatim strings keep their RESP3 shape.
type luaReplyBuilder struct {
	L      *lua.LState
	proto  int
	stack  []*luaFrame
	result lua.LValue
	topErr bool // the reply is an error (redis.call raises it)
}

type luaFrame struct {
	t      *lua.LTable // where elements go
	holder *lua.LTable // what the parent receives ({map=t}, {set=t} or t)
	kind   byte        // 'a' array, 'm' map, 's' set
	left   int         // elements (map: pairs) still expected
	n      int
	key    lua.LValue
	hasKey bool
}

func (b *luaReplyBuilder) push(v lua.LValue) {
	for {
		if len(b.stack) == 0 {
			b.result = v
			return
		}
		f := b.stack[len(b.stack)-1]
		switch f.kind {
		case 'a':
			f.n++
			f.t.RawSetInt(f.n, v)
			f.left--
		case 's':
			if v != lua.LNil {
				f.t.RawSet(v, lua.LTrue)
			}
			f.left--
		case 'm':
			if !f.hasKey {
				f.key, f.hasKey = v, true
				return
			}
			if f.key != lua.LNil {
				f.t.RawSet(f.key, v)
			}
			f.hasKey = false
			f.left--
		}
		if f.left > 0 {
			return
		}
		b.stack = b.stack[:len(b.stack)-1]
		v = f.holder
	}
}

func (b *luaReplyBuilder) open(kind byte, n int, field string) {
	t := b.L.CreateTable(n, 0)
	holder := t
	if field != "" {
		holder = b.L.NewTable()
		holder.RawSetString(field, t)
	}
	if n <= 0 {
		b.push(holder)
		return
	}
	b.stack = append(b.stack, &luaFrame{t: t, holder: holder, kind: kind, left: n})
}

func (b *luaReplyBuilder) Status(s string) {
	t := b.L.NewTable()
	t.RawSetString("ok", lua.LString(s))
	b.push(t)
}

func (b *luaReplyBuilder) Error(s string) {
	if len(b.stack) == 0 {
		b.topErr = true
	}
	b.push(errorTable(b.L, s))
}

func (b *luaReplyBuilder) Int(n int64)         { b.push(lua.LNumber(n)) }
func (b *luaReplyBuilder) Bulk(v []byte)       { b.push(lua.LString(v)) }
func (b *luaReplyBuilder) BulkString(s string) { b.push(lua.LString(s)) }
func (b *luaReplyBuilder) Proto() int          { return b.proto }

func (b *luaReplyBuilder) Null() {
	if b.proto == 3 {
		b.push(lua.LNil)
	} else {
		b.push(lua.LFalse)
	}
}

func (b *luaReplyBuilder) NullArray()  { b.Null() }
func (b *luaReplyBuilder) Array(n int) { b.open('a', n, "") }

func (b *luaReplyBuilder) Map(n int) {
	if b.proto == 3 {
		b.open('m', n, "map")
	} else {
		b.open('a', 2*n, "")
	}
}

func (b *luaReplyBuilder) Set(n int) {
	if b.proto == 3 {
		b.open('s', n, "set")
	} else {
		b.open('a', n, "")
	}
}

func (b *luaReplyBuilder) Double(f float64) {
	if b.proto != 3 {
		b.push(lua.LString(strconv.FormatFloat(f, 'g', 17, 64)))
		return
	}
	t := b.L.NewTable()
	t.RawSetString("double", lua.LNumber(f))
	b.push(t)
}

func (b *luaReplyBuilder) Bool(v bool) {
	switch {
	case b.proto == 3:
		b.push(lua.LBool(v))
	case v:
		b.push(lua.LNumber(1))
	default:
		b.push(lua.LNumber(0))
	}
}

func (b *luaReplyBuilder) Verbatim(s string) {
	if b.proto != 3 {
		b.push(lua.LString(s))
		return
	}
	inner := b.L.NewTable()
	inner.RawSetString("format", lua.LString("txt"))
	inner.RawSetString("string", lua.LString(s))
	t := b.L.NewTable()
	t.RawSetString("verbatim_string", inner)
	b.push(t)
}

// luaMaxDepth bounds the nesting of a returned table (a table may contain
// itself); Redis stops at the Lua stack limit the same way.
const luaMaxDepth = 1000

// writeLuaReply converts a script's return value into the client's reply.
// resp is the script's protocol (redis.setresp): with RESP2 true is 1 and
// false is a null, with RESP3 they are booleans.
func writeLuaReply(w Reply, v lua.LValue, resp, depth int) {
	if depth > luaMaxDepth {
		w.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		switch {
		case resp == 3:
			w.Bool(bool(v))
		case bool(v):
			w.Int(1)
		default:
			w.Null()
		}
	case lua.LNumber:
		w.Int(luaToInt(float64(v)))
	case *lua.LTable:
		writeLuaTable(w, v, resp, depth)
	default:
		w.Null()
	}
}

// luaToInt is C's (long long) cast of a lua_Number: truncation, with
// out-of-range values pinned.
func luaToInt(f float64) int64 {
	switch {
	case f != f:
		return -1 << 63
	case f >= 9.223372036854775807e18:
		return -1 << 63 // what x86 gives for an overflowing conversion
	case f <= -9.223372036854775808e18:
		return -1 << 63
	}
	return int64(f)
}

func writeLuaTable(w Reply, t *lua.LTable, resp, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		msg := strings.TrimPrefix(string(s), "-")
		w.Error(msg)
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Status(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if n, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(n))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BulkString(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if vs, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, ok1 := vs.RawGetString("format").(lua.LString)
		s, ok2 := vs.RawGetString("string").(lua.LString)
		if ok1 && ok2 {
			_ = f
			w.Verbatim(string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var keys, vals []lua.LValue
		luaPairs(m, func(k, v lua.LValue) { keys, vals = append(keys, k), append(vals, v) })
		w.Map(len(keys))
		for i := range keys {
			writeLuaReply(w, keys[i], resp, depth+1)
			writeLuaReply(w, vals[i], resp, depth+1)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		var keys []lua.LValue
		luaPairs(s, func(k, _ lua.LValue) { keys = append(keys, k) })
		w.Set(len(keys))
		for _, k := range keys {
			writeLuaReply(w, k, resp, depth+1)
		}
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		writeLuaReply(w, t.RawGetInt(i), resp, depth+1)
	}
}

// luaPairs iterates t as pairs() does: in insertion order, which (unlike
// LTable.ForEach over Go maps) is the same on every run and every replica.
func luaPairs(t *lua.LTable, fn func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		fn(k, v)
	}
}
