package resp

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const pwHash = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4" // sha256("pw")

func TestACLDefaultUserAndErrors(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	c.expect("*1\r\n"+dryrunBulk("user default on nopass ~* &* +@all"), "ACL", "LIST")
	c.expect("$7\r\ndefault\r\n", "ACL", "WHOAMI")
	c.expect("*1\r\n$7\r\ndefault\r\n", "ACL", "USERS")
	c.expect("*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n"+
		"$8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$2\r\n~*\r\n$8\r\nchannels\r\n$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n",
		"ACL", "GETUSER", "default")
	c.expect("$-1\r\n", "ACL", "GETUSER", "nobody")
	c.expect("-ERR The 'default' user cannot be removed\r\n", "ACL", "DELUSER", "default")
	c.expect("-"+errNoACLFile+"\r\n", "ACL", "LOAD")
	c.expect("-"+errNoACLFile+"\r\n", "ACL", "SAVE")
	c.expect("*0\r\n", "ACL", "LOG")
	c.expect("+OK\r\n", "ACL", "LOG", "RESET")
	c.expect("-ERR unknown subcommand 'foo'. Try ACL HELP.\r\n", "ACL", "foo")
	c.expect("-ERR wrong number of arguments for 'acl|getuser' command\r\n", "ACL", "GETUSER")
	c.expect("-ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters\r\n", "ACL", "SETUSER", "bob", "#abc")
	c.expect("-ERR Error in ACL SETUSER modifier '+nope': Unknown command or category name in ACL\r\n", "ACL", "SETUSER", "bob", "+nope")
	c.expect("-ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns\r\n", "ACL", "SETUSER", "bob", "allkeys", "~a")
	c.expect("-ERR Error in ACL SETUSER modifier '<x': The password you are trying to remove from the user does not exist\r\n", "ACL", "SETUSER", "bob", "<x")
	c.expect("-ERR Error in ACL SETUSER modifier 'foo': Syntax error\r\n", "ACL", "SETUSER", "bob", "foo")
	c.expect("-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n", "ACL", "SETUSER", "bob", "(+get", "~a")
	c.expect("-ERR Usernames can't contain spaces or null characters\r\n", "ACL", "SETUSER", "a b")
	// A failed SETUSER creates nothing.
	c.expect("*1\r\n$7\r\ndefault\r\n", "ACL", "USERS")
	c.expect("-ERR Unknown category 'nope'\r\n", "ACL", "CAT", "nope")
	c.expect("-ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096\r\n", "ACL", "GENPASS", "0")
	c.cmd("ACL", "GENPASS")
	if got := c.reply(); len(got) != len("$64\r\n\r\n")+64 {
		t.Errorf("GENPASS: %q", got)
	}
	c.cmd("ACL", "GENPASS", "32")
	if got := c.reply(); !strings.HasPrefix(got, "$8\r\n") {
		t.Errorf("GENPASS 32: %q", got)
	}
	c.cmd("ACL", "CAT")
	if got := c.reply(); !strings.HasPrefix(got, "*21\r\n$8\r\nkeyspace\r\n$4\r\nread\r\n") || !strings.HasSuffix(got, "$9\r\nscripting\r\n") {
		t.Errorf("ACL CAT: %q", got)
	}
	c.cmd("ACL", "CAT", "hash")
	if got := c.reply(); !strings.HasPrefix(got, "*16\r\n") || !strings.Contains(got, "$4\r\nhget\r\n") || strings.Contains(got, "$3\r\nget\r\n") {
		t.Errorf("ACL CAT hash: %q", got)
	}
}

func TestACLSetUserGetUserList(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	c.expect("+OK\r\n", "ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "&ch*", "+get", "+set", "+@hash", "-hdel", "+client|id", "(+ping", "~x*)")
	c.cmd("ACL", "LIST")
	list := c.reply()
	want := "user alice on #" + pwHash + " ~k* %R~r* resetchannels &ch* -@all +@hash "
	if !strings.Contains(list, want) || !strings.Contains(list, " (~x* resetchannels -@all +ping)") {
		t.Errorf("ACL LIST %q lacks %q", list, want)
	}
	for _, r := range []string{"-hdel", "+client|id", "+get", "+set"} {
		if !strings.Contains(list, " "+r+" ") {
			t.Errorf("ACL LIST %q lacks %s", list, r)
		}
	}
	c.expect("*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n", "ACL", "USERS")

	// GETUSER through go-redis, RESP3: flags is a set, selectors maps.
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 3})
	defer rdb.Close()
	ctx := context.Background()
	v, err := rdb.Do(ctx, "ACL", "GETUSER", "alice").Result()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[any]any)
	if !ok {
		t.Fatalf("GETUSER RESP3: %T %v", v, v)
	}
	if m["keys"] != "~k* %R~r*" || m["channels"] != "&ch*" {
		t.Errorf("GETUSER keys/channels: %v", m)
	}
	if pw, _ := m["passwords"].([]any); len(pw) != 1 || pw[0] != pwHash {
		t.Errorf("GETUSER passwords: %v", m["passwords"])
	}
	sels, _ := m["selectors"].([]any)
	if len(sels) != 1 {
		t.Fatalf("selectors %v", m["selectors"])
	}
	if s, _ := sels[0].(map[any]any); s["commands"] != "-@all +ping" || s["keys"] != "~x*" || s["channels"] != "" {
		t.Errorf("selector %v", sels[0])
	}

	// Command rule rewriting, as Redis 7.0 lists it.
	for _, tc := range []struct{ rules, want string }{
		{"+get +@hash", "-@all +@hash +get"},
		{"+get +set -get", "-@all +set"},
		{"+@all -get +get", "+@all"},
		{"+@hash -@hash", "-@all"},
		{"+config +config|get -config|set", "-@all +config -config|set"},
		{"+@all -select +select|0", "+@all -select +select|0"},
		{"allcommands -@hash +hget", "+@all -@hash +hget"},
		{"nocommands +@all", "+@all"},
	} {
		args := append([]string{"ACL", "SETUSER", "t", "reset"}, strings.Fields(tc.rules)...)
		c.expect("+OK\r\n", args...)
		want := "user t off sanitize-payload resetchannels " + tc.want
		c.cmd("ACL", "LIST")
		if got := c.reply(); !strings.Contains(got, want+"\r\n") {
			t.Errorf("%s: ACL LIST %q lacks %q", tc.rules, got, want)
		}
	}
	c.expect(":2\r\n", "ACL", "DELUSER", "t", "alice", "nobody")
	c.expect("*1\r\n$7\r\ndefault\r\n", "ACL", "USERS")
}

func TestACLPermissions(t *testing.T) {
	_, addr := startServer(t, nil)
	admin := dial(t, addr)
	admin.expect("+OK\r\n", "ACL", "SETUSER", "u", "on", ">pw", "%R~r*", "%W~w*", "~k*", "&ch", "+@all", "-flushall")
	admin.expect("+OK\r\n", "SET", "r1", "v")
	c := dial(t, addr)
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "u", "bad")
	c.expect("+OK\r\n", "AUTH", "u", "pw")
	c.expect("$1\r\nu\r\n", "ACL", "WHOAMI")
	const noKey = "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"
	const noChan = "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"
	c.expect("$1\r\nv\r\n", "GET", "r1")
	c.expect(noKey, "SET", "r1", "x")
	c.expect(noKey, "DEL", "r1")
	c.expect("+OK\r\n", "SET", "w1", "1")
	c.expect(noKey, "GET", "w1")
	c.expect(noKey, "INCR", "w1") // reads as well as writes
	c.expect(":1\r\n", "EXISTS", "w1")
	c.expect(":1\r\n", "STRLEN", "w1")
	c.expect(":1\r\n", "COPY", "r1", "w2")
	c.expect(noKey, "COPY", "w1", "r2")
	c.expect("+OK\r\n", "SET", "k1", "v")
	c.expect(noKey, "MGET", "k1", "zz")
	c.expect(noKey, "GET", "other")
	c.expect("-NOPERM this user has no permissions to run the 'flushall' command\r\n", "FLUSHALL")
	c.expect(":0\r\n", "PUBLISH", "ch", "x")
	c.expect(noChan, "PUBLISH", "ch2", "x")
	c.expect(noChan, "SUBSCRIBE", "ch2")
	c.expect(noChan, "PSUBSCRIBE", "c*")
	c.expect(noKey, "WATCH", "other")
	c.expect("+OK\r\n", "WATCH", "r1")

	// Subcommands and selectors.
	admin.expect("+OK\r\n", "ACL", "SETUSER", "z", "on", "nopass", "+ping", "+client|id", "~a*", "(+get ~x*)")
	z := dial(t, addr)
	z.expect("+OK\r\n", "AUTH", "z", "any")
	z.expect("+PONG\r\n", "PING")
	z.expect("-NOPERM this user has no permissions to run the 'client|setname' command\r\n", "CLIENT", "SETNAME", "n")
	z.cmd("CLIENT", "ID")
	if got := z.reply(); !strings.HasPrefix(got, ":") {
		t.Errorf("CLIENT ID: %q", got)
	}
	z.expect("$-1\r\n", "GET", "x1") // allowed by the selector
	z.expect(noKey, "GET", "a1")     // root has the key but not the command; the key error ranks higher
	z.expect("-NOPERM this user has no permissions to run the 'set' command\r\n", "SET", "x1", "v")

	// DRYRUN.
	admin.expect("+OK\r\n", "ACL", "DRYRUN", "u", "get", "r1")
	admin.expect(dryrunBulk("This user has no permissions to access the 'zz' key"), "ACL", "DRYRUN", "u", "get", "zz")
	admin.expect(dryrunBulk("This user has no permissions to run the 'flushall' command"), "ACL", "DRYRUN", "u", "flushall")
	admin.expect(dryrunBulk("This user has no permissions to access the 'ch2' channel"), "ACL", "DRYRUN", "u", "publish", "ch2", "x")
	admin.expect("-ERR User 'nobody' not found\r\n", "ACL", "DRYRUN", "nobody", "get", "a")
	admin.expect("-ERR Command 'nocmd' not found\r\n", "ACL", "DRYRUN", "u", "nocmd")

	// A user without ACL permissions cannot administer users.
	admin.expect("+OK\r\n", "ACL", "SETUSER", "u", "-@admin")
	c.expect("-NOPERM this user has no permissions to run the 'acl|setuser' command\r\n", "ACL", "SETUSER", "x")
	c.expect("$1\r\nu\r\n", "ACL", "WHOAMI")
}

func dryrunBulk(s string) string { return "$" + itoa(int64(len(s))) + "\r\n" + s + "\r\n" }

func TestACLDeletedOrDisabledUserIsDisconnected(t *testing.T) {
	_, addr := startServer(t, nil)
	admin := dial(t, addr)
	admin.expect("+OK\r\n", "ACL", "SETUSER", "v", "on", ">pw", "+@all", "~*")
	for _, drop := range [][]string{{"ACL", "DELUSER", "v"}, {"ACL", "SETUSER", "v", "off"}} {
		admin.expect("+OK\r\n", "ACL", "SETUSER", "v", "on", ">pw", "+@all", "~*")
		c := dial(t, addr)
		c.expect("+OK\r\n", "AUTH", "v", "pw")
		c.expect("+PONG\r\n", "PING")
		admin.expect("+PONG\r\n", "PING")
		admin.cmd(drop...)
		if got := admin.reply(); got != ":1\r\n" && got != "+OK\r\n" {
			t.Fatalf("%v: %q", drop, got)
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("%v: client of the user still connected: %v", drop, err)
		}
	}
	// v exists but is off.
	c := dial(t, addr)
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "v", "pw")
	admin.expect("$7\r\ndefault\r\n", "ACL", "WHOAMI")
}

func TestACLRequirePassStillWorks(t *testing.T) {
	s, addr := startServer(t, nil)
	s.ACL().SetRequirePass("secret")
	c := dial(t, addr)
	c.expect("-NOAUTH Authentication required.\r\n", "ACL", "WHOAMI")
	c.expect("+OK\r\n", "AUTH", "secret")
	c.cmd("ACL", "LIST")
	want := "user default on #" + hashPassword("secret") + " ~* &* +@all"
	if got := c.reply(); !strings.Contains(got, want) {
		t.Errorf("ACL LIST %q lacks %q", got, want)
	}
	c.expect("+OK\r\n", "ACL", "SETUSER", "app", "on", ">apppw", "+@read", "+@write", "+@connection", "~app:*")
	rdb := redis.NewClient(&redis.Options{Addr: addr, Username: "app", Password: "apppw"})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "app:1", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "app:1").Result(); err != nil || v != "v" {
		t.Fatalf("GET: %q %v", v, err)
	}
	if err := rdb.Get(ctx, "other").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("GET other: %v", err)
	}
	if err := rdb.ConfigGet(ctx, "maxmemory").Err(); err == nil || err.Error() != "NOPERM this user has no permissions to run the 'config|get' command" {
		t.Errorf("CONFIG GET: %v", err)
	}
	bad := redis.NewClient(&redis.Options{Addr: addr, Username: "app", Password: "nope", MaxRetries: -1})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Errorf("bad password: %v", err)
	}
	s.ACL().SetRequirePass("")
	c2 := dial(t, addr)
	c2.expect("+PONG\r\n", "PING")
}
