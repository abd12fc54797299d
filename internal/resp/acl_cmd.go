package resp

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"

	"triad/internal/cache"
)

// aclSubArity is each ACL subcommand's arity, counting "acl", as in Redis 7.0.
var aclSubArity = map[string]int{
	"cat": -2, "deluser": -3, "dryrun": -4, "genpass": -2, "getuser": 3, "help": 2,
	"list": 2, "load": 2, "log": -2, "save": 2, "setuser": -3, "users": 2, "whoami": 2,
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func cmdACL(c *conn, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	arity, ok := aclSubArity[sub]
	if !ok {
		unknownSubcommand(c, args)
		return
	}
	if !checkArity(arity, len(args)) {
		c.w.Error(cache.WrongArity("acl|" + sub))
		return
	}
	a := c.srv.acl
	sp := a.cmdSpace(c.srv.eng)
	switch sub {
	case "setuser":
		aclSetUser(c, sp, args)
	case "getuser":
		u := a.user(string(args[2]))
		if u == nil {
			c.w.Null()
			return
		}
		writeGetUser(c, sp, u)
	case "deluser":
		names := make([]string, 0, len(args)-2)
		for _, n := range args[2:] {
			if string(n) == "default" {
				c.w.Error("ERR The 'default' user cannot be removed")
				return
			}
			names = append(names, string(n))
		}
		n := a.delUsers(names)
		c.disconnectUsers(names)
		c.w.Int(int64(n))
	case "list":
		users := a.sortedUsers()
		c.w.Array(len(users))
		for _, u := range users {
			c.w.BulkString(u.describe(sp))
		}
	case "users":
		users := a.sortedUsers()
		c.w.Array(len(users))
		for _, u := range users {
			c.w.BulkString(u.name)
		}
	case "whoami":
		if c.user.Load() == nil {
			c.w.BulkString("default")
			return
		}
		c.w.BulkString(c.user.Load().name)
	case "cat":
		aclCat(c, sp, args)
	case "dryrun":
		aclDryRun(c, sp, args)
	case "genpass":
		bits := 256
		if len(args) > 2 {
			n, err := strconv.Atoi(string(args[2]))
			if err != nil || n <= 0 || n > 4096 {
				c.w.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
				return
			}
			bits = n
		}
		chars := (bits + 3) / 4
		buf := make([]byte, (chars+1)/2)
		_, _ = rand.Read(buf)
		c.w.BulkString(hex.EncodeToString(buf)[:chars])
	case "log":
		// Triad keeps no ACL log yet: the list is always empty.
		if len(args) > 2 {
			if strings.EqualFold(string(args[2]), "reset") {
				c.w.Status("OK")
				return
			}
			if n, err := strconv.ParseInt(string(args[2]), 10, 64); err != nil || n < 0 {
				c.w.Error("ERR value is out of range, must be positive")
				return
			}
		}
		c.w.Array(0)
	case "load", "save":
		c.w.Error(errNoACLFile)
	case "help":
		lines := []string{
			"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CAT [<category>]",
			"    List all commands that belong to <category>, or all command categories",
			"    when no category is specified.",
			"DELUSER <username> [<username> ...]",
			"    Delete a list of users.",
			"DRYRUN <username> <command> [<arg> ...]",
			"    Returns whether the user can execute the given command without executing the command.",
			"GETUSER <username>",
			"    Get the user's details.",
			"GENPASS [<bits>]",
			"    Generate a secure 256-bit user password. The optional `bits` argument can",
			"    be used to specify a different size.",
			"LIST",
			"    Show users details in config file format.",
			"LOAD",
			"    Reload users from the ACL file.",
			"LOG [<count> | RESET]",
			"    Show the ACL log entries.",
			"SAVE",
			"    Save the current config to the ACL file.",
			"SETUSER <username> <attribute> [<attribute> ...]",
			"    Create or modify a user with the specified attributes.",
			"USERS",
			"    List all the registered usernames.",
			"WHOAMI",
			"    Return the current connection username.",
			"HELP",
			"    Prints this help.",
		}
		c.w.Array(len(lines))
		for _, l := range lines {
			c.w.Status(l)
		}
	}
}

func aclSetUser(c *conn, sp *cmdSpace, args [][]byte) {
	name := string(args[2])
	if strings.ContainsAny(name, " \x00") {
		c.w.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	raw := make([]string, len(args)-3)
	for i, a := range args[3:] {
		raw[i] = string(a)
	}
	rules, err := joinSelectors(raw)
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	disconnect, err := c.srv.acl.setUser(sp, name, rules)
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	if disconnect {
		c.disconnectUsers([]string{name})
	}
	c.w.Status("OK")
}

// disconnectUsers closes the connections authenticated as one of the users,
// as Redis does when a user is deleted or disabled; the calling connection
// is closed after its reply.
func (c *conn) disconnectUsers(names []string) {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for x := range s.conns {
		u := x.user.Load()
		if u == nil {
			continue
		}
		for _, n := range names {
			if u.name != n {
				continue
			}
			if x == c {
				c.closing.Store(true)
			} else {
				x.closeSoon()
			}
		}
	}
}

func writeGetUser(c *conn, sp *cmdSpace, u *User) {
	c.w.Map(6)
	c.w.BulkString("flags")
	flags := u.flags()
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.BulkString(f)
	}
	c.w.BulkString("passwords")
	c.w.Array(len(u.passwords))
	for _, p := range u.passwords {
		c.w.BulkString(p)
	}
	writeSelectorFields(c, sp, u.root)
	c.w.BulkString("selectors")
	c.w.Array(len(u.selectors))
	for _, s := range u.selectors {
		c.w.Map(3)
		writeSelectorFields(c, sp, s)
	}
}

func writeSelectorFields(c *conn, sp *cmdSpace, s *selector) {
	c.w.BulkString("commands")
	c.w.BulkString(s.describeCommands(sp))
	c.w.BulkString("keys")
	c.w.BulkString(s.describeKeys())
	c.w.BulkString("channels")
	c.w.BulkString(s.describeChannels())
}

func aclCat(c *conn, sp *cmdSpace, args [][]byte) {
	if len(args) == 2 {
		c.w.Array(len(redisCategoryOrder))
		for _, cat := range redisCategoryOrder {
			c.w.BulkString(cat)
		}
		return
	}
	cat, ok := categoryIndex[strings.ToLower(string(args[2]))]
	if !ok {
		c.w.Error("ERR Unknown category '" + string(args[2]) + "'")
		return
	}
	var names []string
	for id, n := range sp.names {
		if sp.inCategory(id, cat) {
			names = append(names, n)
		}
	}
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func aclDryRun(c *conn, sp *cmdSpace, args [][]byte) {
	u := c.srv.acl.user(string(args[2]))
	if u == nil {
		c.w.Error("ERR User '" + string(args[2]) + "' not found")
		return
	}
	cargs := args[3:]
	var cmd *cache.Command
	name := ""
	if cc := lookupConn(cargs[0]); cc != nil {
		name = cc.name
		if !checkArity(cc.arity, len(cargs)) {
			c.w.Error(cache.WrongArity(name))
			return
		}
	} else if cmd = c.srv.eng.Lookup(cargs[0]); cmd != nil {
		name = cmd.Name
		if !cmd.CheckArity(len(cargs)) {
			c.w.Error(cache.WrongArity(name))
			return
		}
	} else {
		c.w.Error("ERR Command '" + string(cargs[0]) + "' not found")
		return
	}
	if u.all {
		c.w.Status("OK")
		return
	}
	reason, id, arg := u.checkCmd(sp, name, cargs, cmd)
	switch reason {
	case aclOK:
		c.w.Status("OK")
	case aclDeniedCmd:
		full := name
		if id >= 0 {
			full = sp.names[id]
		}
		c.w.BulkString("This user has no permissions to run the '" + full + "' command")
	case aclDeniedKey:
		c.w.BulkString("This user has no permissions to access the '" + arg + "' key")
	case aclDeniedChannel:
		c.w.BulkString("This user has no permissions to access the '" + arg + "' channel")
	}
}
