package cache

// Set commands.
func setCommands() []*Command {
	return nil
}
