package cache

// Zset commands.
func zsetCommands() []*Command {
	return nil
}
