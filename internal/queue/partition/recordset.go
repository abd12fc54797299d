package partition

import (
	"bufio"
	"syscall"
)

// RecordSet is fetched record batches on their way to a client. The
// partition's sets are regions of the raft log's files
// (storage.Regions): WriteTo hands large ones to the socket with
// sendfile(2), so the bytes never enter the process. Release must be
// called once the set is written or abandoned; it lets the log close
// files it has dropped or rewritten meanwhile.
type RecordSet interface {
	// Len is the number of bytes.
	Len() int
	// Bytes reads the set into memory.
	Bytes() ([]byte, error)
	// WriteTo writes the bytes to bw, or straight to sock (a socket;
	// may be nil) after flushing bw, where it can do so without copying.
	WriteTo(bw *bufio.Writer, sock syscall.Conn) error
	// Release lets go of the set's files; it may be called more than once.
	Release()
}

// Bytes is a RecordSet held in memory.
type Bytes []byte

// Len is len(b).
func (b Bytes) Len() int { return len(b) }

// Bytes returns b.
func (b Bytes) Bytes() ([]byte, error) { return b, nil }

// WriteTo writes b to bw.
func (b Bytes) WriteTo(bw *bufio.Writer, _ syscall.Conn) error {
	_, err := bw.Write(b)
	return err
}

// Release does nothing.
func (Bytes) Release() {}
