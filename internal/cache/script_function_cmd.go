package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// The FUNCTION command and the library's persistence (DUMP/RESTORE payloads
// and the snapshot section).

var functionSubs map[string]subcommand

// functionReads are the FUNCTION subcommands that change nothing.
var functionReads = map[string]bool{"list": true, "dump": true, "stats": true, "kill": true, "help": true}

func init() {
	functionSubs = map[string]subcommand{
		"load":    {-3, functionLoad},
		"delete":  {3, functionDelete},
		"flush":   {-2, functionFlush},
		"restore": {-3, functionRestore},
		"list":    {-2, functionList},
		"dump":    {2, functionDump},
		"stats":   {2, functionStats},
		"kill":    {2, func(c *Ctx, a [][]byte) { c.W.Error(errNotBusy) }},
		"help":    {2, func(c *Ctx, a [][]byte) { replyHelp(c, "function", functionHelp) }},
	}
}

var functionHelp = []string{
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
}

// prepareFunction sends FUNCTION's read subcommands to function|ro, which
// is not a write: they need not be logged.
func prepareFunction(e *Engine, args [][]byte) ([][]byte, string) {
	if len(args) >= 2 && functionReads[strings.ToLower(string(args[1]))] {
		out := append([][]byte{[]byte("function|ro")}, args[1:]...)
		return out, ""
	}
	return args, ""
}

func cmdFunction(c *Ctx, a [][]byte) {
	name := strings.ToLower(string(a[1]))
	if (!c.applying || eqFold(a[0], "FUNCTION|RO")) && !functionReads[name] && functionSubs[name].run != nil {
		// function|ro (or a read path) offers only the read subcommands.
		c.W.Error("ERR unknown subcommand '" + truncate128(string(a[1])) + "'. Try FUNCTION HELP.")
		return
	}
	dispatchSub(c, a, "function", functionSubs)
}

func functionLoad(c *Ctx, a [][]byte) {
	replace := false
	i := 2
	for ; i < len(a)-1; i++ {
		if !eqFold(a[i], "REPLACE") {
			c.W.Error("ERR Unknown option given: " + string(a[i]))
			return
		}
		replace = true
	}
	s := c.e.scripting()
	code := a[len(a)-1]
	if name, _, errMsg := libraryMeta(code); errMsg == "" && !replace && s.libs[name] != nil {
		c.W.Error("ERR Library '" + name + "' already exists")
		return
	}
	lib, errMsg := c.e.compileLibrary(c, code)
	if errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	if errMsg := s.linkLibraries([]*library{lib}, replace); errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	c.W.BulkString(lib.name)
}

func functionDelete(c *Ctx, a [][]byte) {
	if !c.e.scripting().unlink(string(a[2])) {
		c.W.Error("ERR Library not found")
		return
	}
	c.W.Status("OK")
}

func functionFlush(c *Ctx, a [][]byte) {
	if len(a) > 3 {
		subcommandSyntaxError(c, "function", a)
		return
	}
	if len(a) == 3 && !eqFold(a[2], "SYNC") && !eqFold(a[2], "ASYNC") {
		c.W.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.e.scripting().flushLibraries()
	c.W.Status("OK")
}

func functionList(c *Ctx, a [][]byte) {
	withCode, pattern, havePattern := false, "", false
	for i := 2; i < len(a); i++ {
		switch {
		case !withCode && eqFold(a[i], "WITHCODE"):
			withCode = true
		case !havePattern && eqFold(a[i], "LIBRARYNAME"):
			if i >= len(a)-1 {
				c.W.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern, havePattern = string(a[i]), true
		default:
			c.W.Error("ERR Unknown argument " + string(a[i]))
			return
		}
	}
	var libs []*library
	for _, l := range c.e.scripting().sortedLibraries() {
		if !havePattern || Glob(pattern, l.name, true) {
			libs = append(libs, l)
		}
	}
	c.W.Array(len(libs))
	for _, l := range libs {
		if withCode {
			c.W.Map(4)
		} else {
			c.W.Map(3)
		}
		c.W.BulkString("library_name")
		c.W.BulkString(l.name)
		c.W.BulkString("engine")
		c.W.BulkString("LUA")
		c.W.BulkString("functions")
		c.W.Array(len(l.funcs))
		for _, f := range l.funcs {
			c.W.Map(3)
			c.W.BulkString("name")
			c.W.BulkString(f.name)
			c.W.BulkString("description")
			if f.desc != "" {
				c.W.BulkString(f.desc)
			} else {
				c.W.Null()
			}
			c.W.BulkString("flags")
			var names []string
			for _, fl := range scriptFlagNames {
				if f.flags&fl.f != 0 {
					names = append(names, fl.name)
				}
			}
			c.W.Set(len(names))
			for _, n := range names {
				c.W.Status(n)
			}
		}
		if withCode {
			c.W.BulkString("library_code")
			c.W.Bulk(l.code)
		}
	}
}

func functionStats(c *Ctx, a [][]byte) {
	s := c.e.scripting()
	c.W.Map(2)
	c.W.BulkString("running_script")
	c.W.Null() // a running script holds the lock: nothing else runs meanwhile
	c.W.BulkString("engines")
	c.W.Map(1)
	c.W.BulkString("LUA")
	c.W.Map(2)
	c.W.BulkString("libraries_count")
	c.W.Int(int64(len(s.libs)))
	c.W.BulkString("functions_count")
	c.W.Int(int64(len(s.funcs)))
}

// Library payloads (FUNCTION DUMP, snapshots):
//
//	'F' | count uvarint | per library: code (uvarint len, bytes)
//
// DUMP adds the DUMP trailer: version u16 LE | CRC32C u32 LE.
const libPayloadMagic = 'F'

func (s *scripting) appendLibraries(b []byte) []byte {
	libs := s.sortedLibraries()
	b = append(b, libPayloadMagic)
	b = binary.AppendUvarint(b, uint64(len(libs)))
	for _, l := range libs {
		b = AppendBytes(b, l.code)
	}
	return b
}

var errBadLibPayload = errors.New("cache: malformed function payload")

// decodeLibraries compiles every library of a payload.
func (e *Engine) decodeLibraries(c *Ctx, b []byte) ([]*library, string) {
	if len(b) < 1 || b[0] != libPayloadMagic {
		return nil, "ERR given type is not a function"
	}
	d := &Decoder{B: b[1:]}
	n := d.Count(1)
	var libs []*library
	for i := 0; i < n && d.Err == nil; i++ {
		code := d.Bytes()
		if d.Err != nil {
			break
		}
		lib, errMsg := e.compileLibrary(c, code)
		if errMsg != "" {
			return nil, errMsg
		}
		for _, l := range libs {
			if l.name == lib.name {
				return nil, "ERR Library " + lib.name + " already exists"
			}
		}
		libs = append(libs, lib)
	}
	if d.Err != nil || len(d.B) != 0 {
		return nil, "ERR failed loading the given functions payload"
	}
	return libs, ""
}

func functionDump(c *Ctx, a [][]byte) {
	b := c.e.scripting().appendLibraries(nil)
	b = binary.LittleEndian.AppendUint16(b, dumpVersion)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	c.W.Bulk(b)
}

func functionRestore(c *Ctx, a [][]byte) {
	if len(a) > 4 {
		subcommandSyntaxError(c, "function", a)
		return
	}
	policy := "APPEND"
	if len(a) == 4 {
		switch {
		case eqFold(a[3], "APPEND"), eqFold(a[3], "REPLACE"), eqFold(a[3], "FLUSH"):
			policy = strings.ToUpper(string(a[3]))
		default:
			c.W.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	p := a[2]
	if len(p) < 7 || crc32.Checksum(p[:len(p)-4], castagnoli) != binary.LittleEndian.Uint32(p[len(p)-4:]) ||
		binary.LittleEndian.Uint16(p[len(p)-6:]) != dumpVersion {
		c.W.Error("ERR DUMP payload version or checksum are wrong")
		return
	}
	libs, errMsg := c.e.decodeLibraries(c, p[:len(p)-6])
	if errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	s := c.e.scripting()
	if policy == "FLUSH" {
		s.flushLibraries()
	}
	if errMsg := s.linkLibraries(libs, policy == "REPLACE"); errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	c.W.Status("OK")
}

// registerFunctionsSnapshot saves the function libraries with every
// snapshot and restores them when one is loaded. New must call it.
func registerFunctionsSnapshot(e *Engine) {
	s := e.scripting()
	e.AddSnapshotExtra(SnapshotExtra{
		Name: "functions",
		Save: func() []byte { return s.appendLibraries(nil) },
		Load: func(b []byte) error {
			c := &Ctx{e: e, ks: e.ks, db: e.ks.dbs[0]}
			libs, errMsg := e.decodeLibraries(c, b)
			if errMsg != "" {
				return fmt.Errorf("%w: %s", errBadLibPayload, errMsg)
			}
			s.flushLibraries()
			if errMsg := s.linkLibraries(libs, false); errMsg != "" {
				return fmt.Errorf("%w: %s", errBadLibPayload, errMsg)
			}
			return nil
		},
	})
}
