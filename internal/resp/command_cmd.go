package resp

import (
	"sort"
	"strings"

	"triad/internal/cache"
)

// commandInfo is one command as COMMAND describes it.
type commandInfo struct {
	name              string
	arity             int
	flags             cache.Flag
	first, last, step int
	group             string
	keys              func(args [][]byte) []int
}

func (s *Server) commandInfos() map[string]commandInfo {
	out := make(map[string]commandInfo)
	for name, c := range s.eng.Commands() {
		ci := commandInfo{name: name, arity: c.Arity, flags: c.Flags, first: c.FirstKey, last: c.LastKey, step: c.Step, group: c.Group, keys: c.Keys}
		out[name] = ci
	}
	for name, c := range connTable {
		out[name] = commandInfo{name: name, arity: c.arity, flags: c.flags, group: c.group}
	}
	return out
}

func writeCmdInfo(c *conn, ci commandInfo) {
	c.w.Array(10)
	c.w.BulkString(ci.name)
	c.w.Int(int64(ci.arity))
	var flags []string
	for _, f := range cache.FlagNames {
		if ci.flags&f.F != 0 {
			flags = append(flags, f.Name)
		}
	}
	c.w.Set(len(flags))
	for _, f := range flags {
		c.w.Status(f)
	}
	c.w.Int(int64(ci.first))
	c.w.Int(int64(ci.last))
	c.w.Int(int64(ci.step))
	cats := categoriesOf(ci) // the same categories ACL CAT and +@cat use
	c.w.Set(len(cats))
	for _, cat := range cats {
		if !strings.HasPrefix(cat, "@") {
			cat = "@" + cat
		}
		c.w.Status(cat)
	}
	c.w.Set(0)   // tips
	c.w.Array(0) // key specs
	c.w.Array(0) // subcommands
}

// aclCategories derives a command's ACL categories from its group and flags.
func aclCategories(ci commandInfo) []string {
	var cats []string
	switch {
	case ci.flags&cache.FlagWrite != 0:
		cats = append(cats, "@write")
	case ci.flags&cache.FlagReadOnly != 0:
		cats = append(cats, "@read")
	}
	if ci.group != "" {
		cats = append(cats, "@"+ci.group)
	}
	if ci.flags&cache.FlagFast != 0 {
		cats = append(cats, "@fast")
	} else {
		cats = append(cats, "@slow")
	}
	if ci.flags&cache.FlagAdmin != 0 {
		cats = append(cats, "@admin", "@dangerous")
	}
	if ci.flags&cache.FlagBlocking != 0 {
		cats = append(cats, "@blocking")
	}
	if ci.flags&cache.FlagPubSub != 0 && ci.group != "pubsub" {
		cats = append(cats, "@pubsub")
	}
	return cats
}

func cmdCommand(c *conn, args [][]byte) {
	infos := c.srv.commandInfos()
	if len(args) == 1 {
		names := make([]string, 0, len(infos))
		for n := range infos {
			names = append(names, n)
		}
		sort.Strings(names)
		c.w.Array(len(names))
		for _, n := range names {
			writeCmdInfo(c, infos[n])
		}
		return
	}
	switch strings.ToUpper(string(args[1])) {
	case "COUNT":
		c.w.Int(int64(len(infos)))
	case "INFO":
		if len(args) == 2 {
			cmdCommand(c, args[:1])
			return
		}
		c.w.Array(len(args) - 2)
		for _, a := range args[2:] {
			if ci, ok := infos[strings.ToLower(string(a))]; ok {
				writeCmdInfo(c, ci)
			} else {
				c.w.NullArray()
			}
		}
	case "DOCS":
		// Triad carries no command documentation; an empty map tells
		// redis-cli and clients there are no docs rather than failing.
		names := args[2:]
		var known []string
		for _, a := range names {
			if _, ok := infos[strings.ToLower(string(a))]; ok {
				known = append(known, strings.ToLower(string(a)))
			}
		}
		c.w.Map(len(known))
		for _, n := range known {
			c.w.BulkString(n)
			c.w.Map(0)
		}
	case "LIST":
		names := make([]string, 0, len(infos))
		for n := range infos {
			names = append(names, n)
		}
		sort.Strings(names)
		c.w.Array(len(names))
		for _, n := range names {
			c.w.BulkString(n)
		}
	case "GETKEYS", "GETKEYSANDFLAGS":
		if len(args) < 3 {
			c.w.Error(cache.WrongArity("command|getkeys"))
			return
		}
		ci, ok := infos[strings.ToLower(string(args[2]))]
		if !ok {
			c.w.Error("ERR Invalid command specified")
			return
		}
		if !checkArity(ci.arity, len(args)-2) {
			c.w.Error("ERR Invalid number of arguments specified for command")
			return
		}
		var pos []int
		if ci.keys != nil {
			pos = ci.keys(args[2:])
		}
		if len(pos) == 0 {
			c.w.Error("ERR The command has no key arguments")
			return
		}
		c.w.Array(len(pos))
		for _, p := range pos {
			c.w.Bulk(args[2+p])
		}
	case "HELP":
		writeHelp(c, "COMMAND", []string{
			"(no subcommand)", "    Return details about all Redis commands.",
			"COUNT", "    Return the total number of commands in this Redis server.",
			"LIST", "    Return a list of all commands in this Redis server.",
			"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
			"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
			"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
		})
	default:
		unknownSubcommand(c, args)
	}
}
