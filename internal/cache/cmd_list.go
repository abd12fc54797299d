package cache

// List commands.
func listCommands() []*Command {
	return nil
}
