package cache

import "bytes"

// String commands.
func stringCommands() []*Command {
	return []*Command{
		{Name: "get", Arity: 2, Flags: FlagReadOnly | FlagFast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Run: cmdGet},
		{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Run: cmdSet},
	}
}

func cmdGet(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(e.str)
}

func cmdSet(c *Ctx, a [][]byte) {
	if len(a) != 3 {
		c.W.Error(ErrSyntax)
		return
	}
	c.add(string(a[1]), &entry{kind: KindString, str: bytes.Clone(a[2])})
	c.W.Status("OK")
}
