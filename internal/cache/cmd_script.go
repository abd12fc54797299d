package cache

// Script commands.
func scriptCommands() []*Command {
	return nil
}
