package benchqueue

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data (and the metadata needed to read it back, such
// as its size) to stable storage, as a log does before it acknowledges.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
