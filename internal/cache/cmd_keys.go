package cache

// Generic key commands.
func keyCommands() []*Command {
	return []*Command{
		{Name: "del", Arity: -2, Flags: FlagWrite, FirstKey: 1, LastKey: -1, Step: 1, Group: "keyspace", Run: cmdDel},
		{Name: "exists", Arity: -2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: -1, Step: 1, Group: "keyspace", Run: cmdExists},
	}
}

func cmdDel(c *Ctx, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if c.del(k) {
			n++
		}
	}
	c.W.Int(n)
}

func cmdExists(c *Ctx, a [][]byte) {
	var n int64
	for _, k := range a[1:] {
		if c.lookup(k) != nil {
			n++
		}
	}
	c.W.Int(n)
}
