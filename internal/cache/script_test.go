package cache

import (
	"strings"
	"testing"
)

func TestScriptEvalReplyTypes(t *testing.T) {
	te := newTestEngine(t)
	for _, tc := range []struct{ script, want string }{
		{"return 1", ":1"},
		{"return 3.99", ":3"},
		{"return -3.99", ":-3"},
		{"return 'hello'", "hello"},
		{"return true", ":1"},
		{"return false", "$-1"},
		{"return nil", "$-1"},
		{"return {1, 2, {3, 'x'}, nil, 5}", "*3 :1 :2 *2 :3 x"},
		{"return {}", "*0"},
		{"return {ok='fine'}", "+fine"},
		{"return {err='MYERR bad'}", "-MYERR bad"},
		{"return redis.status_reply('DONE')", "+DONE"},
		{"return redis.error_reply('MYCODE boom')", "-MYCODE boom"},
		{"return redis.error_reply('boom')", "-ERR boom"},
		{"return {double=1.5}", "1.5"},
		{"return redis.sha1hex('')", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"return KEYS", "*0"},
		{"return type(math.random())", "number"},
	} {
		te.expect(tc.want, "EVAL", tc.script, "0")
	}
}

func TestScriptEvalResp3(t *testing.T) {
	te := newTestEngine(t)
	for _, tc := range []struct{ script, want string }{
		{"redis.setresp(3); return true", "#t\r\n"},
		{"redis.setresp(3); return false", "#f\r\n"},
		{"return {double=2.5}", ",2.5\r\n"},
		{"return {map={a=1}}", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"return {set={x=true}}", "~1\r\n$1\r\nx\r\n"},
		{"redis.setresp(3); return redis.call('get', 'nokey') == nil", "#t\r\n"},
		{"return redis.call('get', 'nokey') == false", ":1\r\n"},
	} {
		if got := te.doRaw(3, "EVAL", tc.script, "0"); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.script, got, tc.want)
		}
	}
	te.expect("-ERR RESP version must be 2 or 3. script: "+sha1Hex([]byte("redis.setresp(4)"))+", on @user_script:1.",
		"EVAL", "redis.setresp(4)", "0")
}

func TestScriptKeysArgvAndCalls(t *testing.T) {
	te := newTestEngine(t)
	te.expect("*4 k1 k2 a1 a2", "EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2")
	te.expect("+OK", "EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v")
	te.expect("v", "GET", "k")
	te.expect("v", "EVAL", "return redis.call('get', KEYS[1])", "1", "k")
	te.expect("3.5", "EVAL", "redis.call('set', 'n', 3.5) return redis.call('get', 'n')", "0")
	te.expect("1e+20", "EVAL", "redis.call('set', 'n', 1e20) return redis.call('get', 'n')", "0")
	te.expect(":2", "EVAL", "return redis.call('del', 'k', 'n')", "0")
	te.expect("OK", "EVAL", "return redis.call('set', 'k', 'v').ok", "0")
	// SELECT inside a script changes the script's database only.
	te.expect("v9", "EVAL", "redis.call('select', 9) redis.call('set', 'k', 'v9') return redis.call('get', 'k')", "0")
	te.expect("v", "GET", "k")
	te.db = 9
	te.expect("v9", "GET", "k")
}

func TestScriptErrors(t *testing.T) {
	te := newTestEngine(t)
	sha := func(s string) string { return sha1Hex([]byte(s)) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"EVAL", "return 1", "2", "a"}, "-ERR Number of keys can't be greater than number of args"},
		{[]string{"EVAL", "return 1", "-1"}, "-ERR Number of keys can't be negative"},
		{[]string{"EVAL", "return 1", "x"}, "-ERR value is not an integer or out of range"},
		{[]string{"EVAL", "return redis.call('nosuch')", "0"},
			"-ERR Unknown Redis command called from script script: " + sha("return redis.call('nosuch')") + ", on @user_script:1."},
		{[]string{"EVAL", "return redis.call('get')", "0"},
			"-ERR Wrong number of args calling Redis command from script script: " + sha("return redis.call('get')") + ", on @user_script:1."},
		{[]string{"EVAL", "return redis.call('eval', 'return 1', '0')", "0"},
			"-ERR This Redis command is not allowed from script script: " + sha("return redis.call('eval', 'return 1', '0')") + ", on @user_script:1."},
		{[]string{"EVAL", "return redis.call()", "0"},
			"-ERR Please specify at least one argument for this redis lib call script: " + sha("return redis.call()") + ", on @user_script:1."},
		{[]string{"EVAL", "return redis.call('get', {})", "0"},
			"-ERR Lua redis lib command arguments must be strings or integers script: " + sha("return redis.call('get', {})") + ", on @user_script:1."},
		{[]string{"EVAL", "\n\nerror('boom')", "0"},
			"-ERR user_script:3: boom script: " + sha("\n\nerror('boom')") + ", on @user_script:3."},
		{[]string{"EVAL", "return nosuchvar", "0"},
			"-ERR user_script:1: Script attempted to access nonexistent global variable 'nosuchvar' script: " + sha("return nosuchvar") + ", on @user_script:1."},
		{[]string{"EVAL", "x = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: " + sha("x = 1") + ", on @user_script:1."},
		{[]string{"EVAL", "string.foo = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: " + sha("string.foo = 1") + ", on @user_script:1."},
		{[]string{"EVAL", "error({err='CUSTOM failure'})", "0"},
			"-CUSTOM failure script: " + sha("error({err='CUSTOM failure'})") + ", on @user_script:1."},
		{[]string{"EVAL", "#!lua flags=bogus\nreturn 1", "0"}, "-ERR Unexpected flag in script shebang: bogus"},
		{[]string{"EVAL", "#!perl\nreturn 1", "0"}, "-ERR Unexpected engine in script shebang: #!perl"},
		{[]string{"EVAL", "#!lua", "0"}, "-ERR Invalid script shebang"},
	} {
		te.expect(tc.want, tc.args...)
	}
	if got := te.do("EVAL", "return (", "0"); !strings.HasPrefix(got, "-ERR Error compiling script (new function): user_script") {
		t.Errorf("compile error: %q", got)
	}
}

func TestScriptCallVersusPcall(t *testing.T) {
	te := newTestEngine(t)
	// redis.call raises the command's error, redis.pcall returns it.
	s := "return redis.call('set', 'k', 'v', 'bad')"
	te.expect("-ERR syntax error script: "+sha1Hex([]byte(s))+", on @user_script:1.", "EVAL", s, "0")
	te.expect("-ERR syntax error", "EVAL", "return redis.pcall('set', 'k', 'v', 'bad')", "0")
	te.expect("ERR syntax error", "EVAL", "return redis.pcall('set', 'k', 'v', 'bad').err", "0")
	te.expect("ERR Unknown Redis command called from script", "EVAL",
		"local r = redis.pcall('nosuch') return r.err", "0")
	te.expect("*2 :0 ERR Unknown Redis command called from script", "EVAL",
		"local ok, e = pcall(function() redis.call('nosuch') end) return {ok and 1 or 0, e}", "0")
	te.expect("-ERR Unknown Redis command called from script", "EVAL", "return redis.pcall('nosuch')", "0")
	te.expect("*2 :0 x", "EVAL", "local ok, e = pcall(error, 'x', 0) return {ok and 1 or 0, e}", "0")
}

func TestScriptEvalSha(t *testing.T) {
	te := newTestEngine(t)
	body := "return ARGV[1]"
	sha := sha1Hex([]byte(body))
	te.expect("-"+ErrNoScript, "EVALSHA", sha, "0", "x")
	te.expect("-"+ErrNoScript, "EVALSHA", "short", "0")
	te.expect(sha, "SCRIPT", "LOAD", body)
	te.expect("*3 :1 :0 :1", "SCRIPT", "EXISTS", sha, "ffff", strings.ToUpper(sha))
	te.expect("hi", "EVALSHA", sha, "0", "hi")
	te.expect("hi", "EVALSHA", strings.ToUpper(sha), "0", "hi")
	te.expect("hi", "EVALSHA_RO", sha, "0", "hi")
	te.expect("-ERR Number of keys can't be greater than number of args", "EVALSHA", sha, "3", "a")
	te.expect("+OK", "SCRIPT", "FLUSH", "ASYNC")
	te.expect("-ERR SCRIPT FLUSH only support SYNC|ASYNC option", "SCRIPT", "FLUSH", "LATER")
	te.expect("*1 :0", "SCRIPT", "EXISTS", sha)
	te.expect("-"+ErrNoScript, "EVALSHA", sha, "0", "x")
	// EVAL caches what it runs.
	te.expect("a", "EVAL", body, "0", "a")
	te.expect("b", "EVALSHA", sha, "0", "b")
	te.expect("-"+errNotBusy, "SCRIPT", "KILL")
	te.expect("-ERR unknown subcommand 'NOPE'. Try SCRIPT HELP.", "SCRIPT", "NOPE")
	te.expect("-ERR wrong number of arguments for 'script|load' command", "SCRIPT", "LOAD")
	if got := te.do("SCRIPT", "HELP"); !strings.HasPrefix(got, "*17 +SCRIPT <subcommand>") {
		t.Errorf("SCRIPT HELP: %q", got)
	}
}

func TestScriptReadOnly(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect("v", "EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k")
	s := "return redis.call('set', 'k', 'x')"
	te.expect("-ERR Write commands are not allowed from read-only scripts. script: "+sha1Hex([]byte(s))+", on @user_script:1.",
		"EVAL_RO", s, "0")
	s2 := "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'x')"
	te.expect("-ERR Write commands are not allowed from read-only scripts. script: "+sha1Hex([]byte(s2))+", on @user_script:2.",
		"EVAL", s2, "0")
	te.expect("-ERR Can not execute a script with write flag using *_ro command.", "EVAL_RO", "#!lua\nreturn 1", "0")
	te.expect(":1", "EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0")
	te.expect("v", "GET", "k")
}

func TestScriptJSON(t *testing.T) {
	te := newTestEngine(t)
	for _, tc := range []struct{ script, want string }{
		{`return cjson.encode({1, 2, "a/b"})`, `[1,2,"a\/b"]`},
		{`return cjson.encode({a = 1.5})`, `{"a":1.5}`},
		{`return cjson.encode({})`, `{}`},
		{`return cjson.encode(cjson.null)`, `null`},
		{`return cjson.encode({1, nil, 3})`, `[1,null,3]`},
		{`local t = cjson.decode('{"x":[1,2,{"y":"z"}],"n":null,"b":true}')
		  return {t.x[1], t.x[3].y, t.n == cjson.null and 1 or 0, t.b and 1 or 0}`, `*4 :1 z :1 :1`},
		{`return cjson.encode(cjson.decode('{"b":1,"a":[true,false,"s"]}'))`, `{"b":1,"a":[true,false,"s"]}`},
	} {
		te.expect(tc.want, "EVAL", tc.script, "0")
	}
	if got := te.do("EVAL", "return cjson.decode('{bad')", "0"); !strings.Contains(got, "Expected") {
		t.Errorf("decode error: %q", got)
	}
	if got := te.do("EVAL", "return cjson.encode(function() end)", "0"); !strings.Contains(got, "Cannot serialise function") {
		t.Errorf("encode error: %q", got)
	}
}

func TestScriptBudget(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ScriptBudget = 100_000
	te := &testEngine{Engine: New(cfg, nil, nil), t: t}
	got := te.do("EVAL", "redis.call('set', 'before', '1') while true do end", "0")
	if !strings.HasPrefix(got, "-ERR Script killed after exceeding the busy-script limit of 100000 Lua instructions") {
		t.Fatalf("budget: %q", got)
	}
	// pcall cannot swallow the stop.
	got = te.do("EVAL", "while true do pcall(function() while true do end end) end", "0")
	if !strings.HasPrefix(got, "-ERR Script killed") {
		t.Fatalf("budget under pcall: %q", got)
	}
	// A write made before the stop stays, as in Redis.
	te.expect("1", "GET", "before")
	// The state is usable afterwards.
	te.expect(":7", "EVAL", "return 7", "0")
}

func TestScriptGlobalsDoNotLeak(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":1", "EVAL", "rawset(_G, 'leak', 1) return leak", "0")
	te.expect("-ERR user_script:1: Script attempted to access nonexistent global variable 'leak' script: "+
		sha1Hex([]byte("return leak"))+", on @user_script:1.", "EVAL", "return leak", "0")
	te.expect(":0", "EVAL", "return getmetatable('') and 1 or 0", "0")
}

func TestScriptLog(t *testing.T) {
	te := newTestEngine(t)
	te.expect("$-1", "EVAL", "redis.log(redis.LOG_WARNING, 'hello', 1)", "0")
	s := "redis.log(9, 'x')"
	te.expect("-ERR Invalid debug level. script: "+sha1Hex([]byte(s))+", on @user_script:1.", "EVAL", s, "0")
}
