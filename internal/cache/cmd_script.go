package cache

import (
	"strings"
)

// Scripting commands: EVAL and friends, SCRIPT, FUNCTION, FCALL.
//
// EVAL, EVALSHA and FCALL are writes: logged, then run at apply with the
// entry's time and seed, so that replay and replicas run the same script to
// the same result. The *_RO forms are reads: not logged, run under the read
// lock, refusing write commands.
//
// SCRIPT KILL and FUNCTION KILL: a script runs while the engine lock is held
// (for writing, or for reading in the _RO forms), so no other command — a
// KILL included — can run until it ends; a runaway script is stopped by the
// instruction budget (Config.ScriptBudget) instead, at the same instruction on
// every replica. KILL therefore always finds nothing running and answers
// NOTBUSY, as Redis does when no script runs. A script stopped by the budget
// answers an error; writes it made before that stay (Redis cannot undo them
// either), and since the stop is deterministic every replica keeps the same.
func scriptCommands() []*Command {
	const evalFlags = FlagNoScript | FlagStale | FlagMayReplic
	return []*Command{
		{Name: "eval", Arity: -3, Flags: FlagWrite | evalFlags, KeysFn: evalKeys, Group: "scripting", Run: cmdEval},
		{Name: "evalsha", Arity: -3, Flags: FlagWrite | evalFlags, KeysFn: evalKeys, Group: "scripting", Run: cmdEvalSha, Prepare: prepareEvalSha},
		{Name: "eval_ro", Arity: -3, Flags: FlagReadOnly | FlagNoScript | FlagStale, KeysFn: evalKeys, Group: "scripting", Run: cmdEvalRO},
		{Name: "evalsha_ro", Arity: -3, Flags: FlagReadOnly | FlagNoScript | FlagStale, KeysFn: evalKeys, Group: "scripting", Run: cmdEvalShaRO},
		{Name: "fcall", Arity: -3, Flags: FlagWrite | evalFlags, KeysFn: evalKeys, Group: "scripting", Run: cmdFcall},
		{Name: "fcall_ro", Arity: -3, Flags: FlagReadOnly | FlagNoScript | FlagStale, KeysFn: evalKeys, Group: "scripting", Run: cmdFcallRO},
		{Name: "script", Arity: -2, Flags: FlagNoScript, Group: "scripting", Run: cmdScript},
		// FUNCTION LOAD/DELETE/FLUSH/RESTORE change the library, which is
		// replicated state, so FUNCTION is a write; Prepare turns its read
		// subcommands into function|ro, a read.
		{Name: "function", Arity: -2, Flags: FlagWrite | FlagNoScript, Group: "scripting", Run: cmdFunction, Prepare: prepareFunction},
		{Name: "function|ro", Arity: -2, Flags: FlagNoScript, Group: "scripting", Run: cmdFunction},
	}
}

// subcommand describes one subcommand of SCRIPT or FUNCTION.
type subcommand struct {
	arity int
	run   func(c *Ctx, a [][]byte)
}

// dispatchSub runs a container command's subcommand with Redis 7's errors
// for unknown subcommands and wrong arity.
func dispatchSub(c *Ctx, a [][]byte, container string, subs map[string]subcommand) {
	name := strings.ToLower(string(a[1]))
	sub, ok := subs[name]
	if !ok {
		c.W.Error("ERR unknown subcommand '" + truncate128(string(a[1])) + "'. Try " + strings.ToUpper(container) + " HELP.")
		return
	}
	if (sub.arity >= 0 && len(a) != sub.arity) || (sub.arity < 0 && len(a) < -sub.arity) {
		c.W.Error(WrongArity(container + "|" + name))
		return
	}
	sub.run(c, a)
}

func truncate128(s string) string {
	if len(s) > 128 {
		return s[:128]
	}
	return s
}

// subcommandSyntaxError is addReplySubcommandSyntaxError.
func subcommandSyntaxError(c *Ctx, container string, a [][]byte) {
	c.W.Error("ERR unknown subcommand or wrong number of arguments for '" + truncate128(string(a[1])) +
		"'. Try " + strings.ToUpper(container) + " HELP.")
}

// replyHelp is addReplyHelp: a header, the lines, then HELP itself.
func replyHelp(c *Ctx, container string, lines []string) {
	c.W.Array(len(lines) + 3)
	c.W.Status(strings.ToUpper(container) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.W.Status(l)
	}
	c.W.Status("HELP")
	c.W.Status("    Print this help.")
}

var scriptSubs map[string]subcommand

func init() {
	scriptSubs = map[string]subcommand{
		"load":   {3, scriptLoad},
		"exists": {-3, scriptExists},
		"flush":  {-2, scriptFlush},
		"kill":   {2, func(c *Ctx, a [][]byte) { c.W.Error(errNotBusy) }},
		"help":   {2, func(c *Ctx, a [][]byte) { replyHelp(c, "script", scriptHelp) }},
		"debug": {3, func(c *Ctx, a [][]byte) {
			c.W.Error("ERR SCRIPT DEBUG is not supported: scripts run inside the replicated state machine")
		}},
	}
}

const errNotBusy = "NOTBUSY No scripts in execution right now."

var scriptHelp = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

func cmdScript(c *Ctx, a [][]byte) { dispatchSub(c, a, "script", scriptSubs) }

func scriptLoad(c *Ctx, a [][]byte) {
	sc, errMsg := c.e.scripting().load(a[2])
	if errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	c.W.BulkString(sc.sha)
}

func scriptExists(c *Ctx, a [][]byte) {
	s := c.e.scripting()
	c.W.Array(len(a) - 2)
	for _, sha := range a[2:] {
		if s.lookup(sha) != nil {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func scriptFlush(c *Ctx, a [][]byte) {
	if len(a) > 3 || (len(a) == 3 && !eqFold(a[2], "SYNC") && !eqFold(a[2], "ASYNC")) {
		c.W.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	s := c.e.scripting()
	s.mu.Lock()
	s.scripts = make(map[string]*cachedScript)
	s.mu.Unlock()
	c.W.Status("OK")
}
