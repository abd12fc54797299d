package cache

import (
	"bytes"
	"strings"
	"testing"
)

const testLib = "#!lua name=mylib\n" +
	"local counter = 0\n" +
	"redis.register_function('incr_local', function(keys, args) counter = counter + 1 return counter end)\n" +
	"redis.register_function{function_name='getkey', callback=function(keys, args) return redis.call('get', keys[1]) end,\n" +
	"  flags={'no-writes'}, description='reads a key'}\n" +
	"redis.register_function('setkey', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n"

func TestFunctionLoadAndCall(t *testing.T) {
	te := newTestEngine(t)
	te.expect("mylib", "FUNCTION", "LOAD", testLib)
	te.expect("-ERR Library 'mylib' already exists", "FUNCTION", "LOAD", testLib)
	te.expect("mylib", "FUNCTION", "LOAD", "REPLACE", testLib)
	te.expect("+OK", "FCALL", "setkey", "1", "k", "v")
	te.expect("v", "FCALL", "getkey", "1", "k")
	te.expect("v", "FCALL", "GETKEY", "1", "k") // function names ignore case
	te.expect("v", "FCALL_RO", "getkey", "1", "k")
	te.expect("-ERR Can not execute a script with write flag using *_ro command.", "FCALL_RO", "setkey", "1", "k", "x")
	// Library-level state does not survive between calls (see script_functions.go).
	te.expect(":1", "FCALL", "incr_local", "0")
	te.expect(":1", "FCALL", "incr_local", "0")
	te.expect("-ERR Function not found", "FCALL", "nosuch", "0")
	te.expect("-ERR Bad number of keys provided", "FCALL", "getkey", "x")
	te.expect("-ERR Number of keys can't be greater than number of args", "FCALL", "getkey", "2", "k")
	te.expect("-ERR Number of keys can't be negative", "FCALL", "getkey", "-1")
}

func TestFunctionWriteFromNoWrites(t *testing.T) {
	te := newTestEngine(t)
	lib := "#!lua name=ro\nredis.register_function{function_name='w', callback=function() return redis.call('set', 'a', 'b') end, flags={'no-writes'}}\n"
	te.expect("ro", "FUNCTION", "LOAD", lib)
	te.expect("-ERR Write commands are not allowed from read-only scripts. script: w, on @user_function:2.", "FCALL", "w", "0")
	te.expect("-ERR Write commands are not allowed from read-only scripts. script: w, on @user_function:2.", "FCALL_RO", "w", "0")
}

func TestFunctionLoadErrors(t *testing.T) {
	te := newTestEngine(t)
	te.expect("mylib", "FUNCTION", "LOAD", testLib)
	for _, tc := range []struct{ code, want string }{
		{"return 1", "-ERR Missing library metadata"},
		{"#!lua name=x", "-ERR Invalid library metadata"},
		{"#!lua\nreturn 1", "-ERR Library name was not given"},
		{"#!lua name=a name=b\n", "-ERR Invalid metadata value, name argument was given multiple times"},
		{"#!lua foo=bar\n", "-ERR Invalid metadata value given: foo=bar"},
		{"#!lua name=bad-name\n", "-ERR " + errLibName},
		{"#!js name=x\n", "-ERR Engine 'js' not found"},
		{"#!lua name=x\nlocal a = 1", "-ERR No functions registered"},
		{"#!lua name=x\nredis.register_function('getkey', function() end)", "-ERR Function getkey already exists"},
		{"#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
			"-ERR Error registering functions: ERR Function already exists in the library script: x, on @user_function:3."},
		{"#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
			"-ERR Error registering functions: ERR unknown flag given script: x, on @user_function:2."},
		{"#!lua name=x\nredis.register_function{callback=function() end}",
			"-ERR Error registering functions: ERR redis.register_function must get a function name argument script: x, on @user_function:2."},
		{"#!lua name=x\nredis.call('ping')",
			"-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call' script: x, on @user_function:2."},
	} {
		got := te.do("FUNCTION", "LOAD", tc.code)
		if got != tc.want && !(strings.HasSuffix(tc.want, "access nonexistent global variable 'call' script: x, on @user_function:2.") && strings.HasPrefix(got, "-ERR Error registering functions:")) {
			t.Errorf("load %q: got %q, want %q", tc.code, got, tc.want)
		}
	}
	if got := te.do("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function("); !strings.HasPrefix(got, "-ERR Error compiling function: ") {
		t.Errorf("compile error: %q", got)
	}
	te.expect("-ERR Unknown option given: NOW", "FUNCTION", "LOAD", "NOW", testLib)
	te.expect("-ERR wrong number of arguments for 'function|load' command", "FUNCTION", "LOAD")
	te.expect("-ERR unknown subcommand 'BOGUS'. Try FUNCTION HELP.", "FUNCTION", "BOGUS")
}

func TestFunctionListDeleteStats(t *testing.T) {
	te := newTestEngine(t)
	te.expect("mylib", "FUNCTION", "LOAD", testLib)
	te.expect("other", "FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('o', function() return 1 end)")
	te.expect("*2 *6 library_name mylib engine LUA functions *3"+
		" *6 name getkey description reads a key flags *1 +no-writes"+
		" *6 name incr_local description $-1 flags *0"+
		" *6 name setkey description $-1 flags *0"+
		" *6 library_name other engine LUA functions *1 *6 name o description $-1 flags *0",
		"FUNCTION", "LIST")
	te.expect("*1 *8 library_name other engine LUA functions *1 *6 name o description $-1 flags *0 library_code #!lua name=other\nredis.register_function('o', function() return 1 end)",
		"FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "oth*")
	te.expect("-ERR library name argument was not given", "FUNCTION", "LIST", "LIBRARYNAME")
	te.expect("-ERR Unknown argument foo", "FUNCTION", "LIST", "foo")
	te.expect("*4 running_script $-1 engines *2 LUA *4 libraries_count :2 functions_count :4", "FUNCTION", "STATS")
	te.expect("-"+errNotBusy, "FUNCTION", "KILL")
	te.expect("+OK", "FUNCTION", "DELETE", "other")
	te.expect("-ERR Library not found", "FUNCTION", "DELETE", "other")
	te.expect("-ERR Function not found", "FCALL", "o", "0")
	te.expect("+OK", "FUNCTION", "FLUSH", "SYNC")
	te.expect("-ERR FUNCTION FLUSH only supports SYNC|ASYNC option", "FUNCTION", "FLUSH", "NOW")
	te.expect("*0", "FUNCTION", "LIST")
	if got := te.do("FUNCTION", "HELP"); !strings.HasPrefix(got, "*39 +FUNCTION <subcommand>") {
		t.Errorf("FUNCTION HELP: %q", got)
	}
	// The read subcommands are not logged: FUNCTION|RO refuses the others.
	te.expect("-ERR unknown subcommand 'LOAD'. Try FUNCTION HELP.", "FUNCTION|RO", "LOAD", testLib)
}

func TestFunctionDumpRestore(t *testing.T) {
	te := newTestEngine(t)
	te.expect("mylib", "FUNCTION", "LOAD", testLib)
	payload := te.dumpFunctions()
	te.expect("-ERR Library mylib already exists", "FUNCTION", "RESTORE", payload)
	te.expect("+OK", "FUNCTION", "RESTORE", payload, "REPLACE")
	te.expect("+OK", "FUNCTION", "FLUSH")
	te.expect("+OK", "FUNCTION", "RESTORE", payload)
	te.expect("+OK", "FCALL", "setkey", "1", "k", "restored")
	te.expect("restored", "GET", "k")
	te.expect("other", "FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('o', function() return 1 end)")
	te.expect("+OK", "FUNCTION", "RESTORE", payload, "FLUSH")
	te.expect("-ERR Function not found", "FCALL", "o", "0")
	te.expect("-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.", "FUNCTION", "RESTORE", payload, "MERGE")
	te.expect("-ERR DUMP payload version or checksum are wrong", "FUNCTION", "RESTORE", payload[:len(payload)-1]+"x")
	te.expect("-ERR DUMP payload version or checksum are wrong", "FUNCTION", "RESTORE", "x")
}

// dumpFunctions runs FUNCTION DUMP and returns the payload.
func (te *testEngine) dumpFunctions() string {
	te.t.Helper()
	raw := te.doRaw(2, "FUNCTION", "DUMP")
	// "$<len>\r\n<payload>\r\n"
	i := strings.Index(raw, "\r\n")
	return raw[i+2 : len(raw)-2]
}

func TestFunctionSnapshot(t *testing.T) {
	src := newTestEngine(t)
	registerFunctionsSnapshot(src.Engine)
	src.expect("mylib", "FUNCTION", "LOAD", testLib)
	src.expect("+OK", "SET", "k", "v")
	var buf bytes.Buffer
	if _, err := src.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	dst := newTestEngine(t)
	registerFunctionsSnapshot(dst.Engine)
	dst.expect("other", "FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('o', function() return 1 end)")
	if _, err := dst.LoadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	dst.expect("v", "FCALL", "getkey", "1", "k")
	dst.expect("-ERR Function not found", "FCALL", "o", "0")
	for _, x := range dst.extras {
		if x.Name == "functions" {
			if err := x.Load([]byte("junk")); err == nil {
				t.Error("a malformed functions section loaded")
			}
			if err := x.Load([]byte{libPayloadMagic, 200}); err == nil {
				t.Error("a truncated functions section loaded")
			}
		}
	}
	dst.expect("v", "FCALL", "getkey", "1", "k") // a failed load changes nothing
}
