package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// cjson for scripts: encode and decode with lua-cjson's rules as Redis ships
// them (numbers as %.14g, '/' escaped, empty tables as objects, cjson.null).

const jsonMaxDepth = 1000

func (vm *luaVM) newJSONLib() *lua.LTable {
	L := vm.L
	vm.jsonNull = L.NewUserData()
	t := L.NewTable()
	t.RawSetString("null", vm.jsonNull)
	t.RawSetString("encode", L.NewFunction(vm.jsonEncode))
	t.RawSetString("decode", L.NewFunction(vm.jsonDecode))
	return t
}

func (vm *luaVM) jsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
	}
	b, err := vm.appendJSON(nil, L.Get(1), 0)
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(lua.LString(b))
	return 1
}

func (vm *luaVM) appendJSON(b []byte, v lua.LValue, depth int) ([]byte, error) {
	switch v := v.(type) {
	case lua.LString:
		return appendJSONString(b, string(v)), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("Cannot serialise number: must not be NaN or Inf")
		}
		return strconv.AppendFloat(b, f, 'g', 14, 64), nil
	case lua.LBool:
		return strconv.AppendBool(b, bool(v)), nil
	case *lua.LNilType:
		return append(b, "null"...), nil
	case *lua.LUserData:
		if v == vm.jsonNull {
			return append(b, "null"...), nil
		}
	case *lua.LTable:
		if depth >= jsonMaxDepth {
			return nil, fmt.Errorf("Cannot serialise, excessive nesting (%d)", depth+1)
		}
		return vm.appendJSONTable(b, v, depth+1)
	}
	return nil, fmt.Errorf("Cannot serialise %s: type not supported", v.Type().String())
}

// appendJSONTable writes an array when every key is a positive integer
// (holes become null, unless the array is excessively sparse), else an object.
func (vm *luaVM) appendJSONTable(b []byte, t *lua.LTable, depth int) ([]byte, error) {
	maxKey, count, isArray := 0, 0, true
	luaPairs(t, func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || n < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		count++
		maxKey = max(maxKey, int(n))
	})
	if isArray && count > 0 {
		if maxKey > 10 && maxKey > count*2 {
			return nil, errors.New("Cannot serialise table: excessive sparse array")
		}
		b = append(b, '[')
		for i := 1; i <= maxKey; i++ {
			if i > 1 {
				b = append(b, ',')
			}
			var err error
			if b, err = vm.appendJSON(b, t.RawGetInt(i), depth); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	b = append(b, '{')
	first := true
	var err error
	luaPairs(t, func(k, v lua.LValue) {
		if err != nil {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		switch k := k.(type) {
		case lua.LString:
			b = appendJSONString(b, string(k))
		case lua.LNumber:
			b = appendJSONString(b, strconv.FormatFloat(float64(k), 'g', 14, 64))
		default:
			err = errors.New("Cannot serialise table: table key must be a number or string")
			return
		}
		b = append(b, ':')
		b, err = vm.appendJSON(b, v, depth)
	})
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendJSONString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\', '/':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

func (vm *luaVM) jsonDecode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("bad argument #1 to 'decode' (expected 1 argument)")
	}
	s := L.CheckString(1)
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	v, err := vm.decodeJSON(dec, 0)
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			err = fmt.Errorf("Expected the end but found invalid token at character %d", dec.InputOffset()+1)
		}
	}
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(v)
	return 1
}

// decodeJSON reads one value token by token, so object members are inserted
// in document order (and pairs() later sees them in that order).
func (vm *luaVM) decodeJSON(dec *json.Decoder, depth int) (lua.LValue, error) {
	off := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("Expected value but found invalid token at character %d", off+1)
	}
	switch tok := tok.(type) {
	case json.Delim:
		if depth >= jsonMaxDepth {
			return nil, fmt.Errorf("Found too many nested data structures (%d) at character %d", depth+1, off+1)
		}
		t := vm.L.NewTable()
		switch tok {
		case '[':
			for i := 1; dec.More(); i++ {
				v, err := vm.decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				t.RawSetInt(i, v)
			}
		case '{':
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("Expected object key string but found invalid token at character %d", dec.InputOffset()+1)
				}
				v, err := vm.decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				t.RawSetString(k.(string), v)
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("Expected comma or end but found invalid token at character %d", dec.InputOffset()+1)
		}
		return t, nil
	case string:
		return lua.LString(tok), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil {
			return nil, fmt.Errorf("Expected value but found invalid number at character %d", off+1)
		}
		return lua.LNumber(f), nil
	case bool:
		return lua.LBool(tok), nil
	case nil:
		return vm.jsonNull, nil
	}
	return nil, fmt.Errorf("Expected value but found invalid token at character %d", off+1)
}
