package cache

// Hash commands.
func hashCommands() []*Command {
	return nil
}
