package cache

// allCommands lists every command group. Each data type's file defines its
// own group; connection-level commands live in the RESP front-end.
func allCommands() [][]*Command {
	return [][]*Command{
		serverCommands(),
		keyCommands(),
		stringCommands(),
		hashCommands(),
		listCommands(),
		setCommands(),
		zsetCommands(),
		scriptCommands(),
	}
}
