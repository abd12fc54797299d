package vfs

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// SendFile copies n bytes of f starting at off to the socket dst with
// sendfile(2): the kernel moves the pages from the page cache to the
// socket, and the bytes never enter the process. The offset is passed to
// the call, so f's own position is neither used nor moved and concurrent
// senders of one file do not interfere. A socket that is not ready for
// writing is waited on through Go's poller, so dst's write deadline holds.
// ok is false, with nothing sent, when f is not an OS file (MemFS) or dst
// cannot give its descriptor: the caller copies instead.
func SendFile(dst syscall.Conn, f File, off, n int64) (sent int64, ok bool, err error) {
	sc, isOS := f.(syscall.Conn)
	if !isOS {
		return 0, false, nil
	}
	src, err := sc.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	out, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var serr error
	cerr := src.Control(func(sfd uintptr) {
		werr := out.Write(func(dfd uintptr) bool {
			for sent < n {
				o := off + sent
				m, err := syscall.Sendfile(int(dfd), int(sfd), &o, int(min(n-sent, 1<<30)))
				if m > 0 {
					sent += int64(m)
				}
				switch {
				case errors.Is(err, syscall.EAGAIN):
					return false // wait until the socket is writable
				case errors.Is(err, syscall.EINTR):
				case err != nil:
					serr = err
					return true
				case m == 0:
					serr = io.ErrUnexpectedEOF // the file is shorter than asked
					return true
				}
			}
			return true
		})
		if serr == nil {
			serr = werr
		}
	})
	if serr == nil {
		serr = cerr
	}
	if serr != nil {
		name := "?"
		if nf, ok := f.(interface{ Name() string }); ok {
			name = nf.Name()
		}
		return sent, true, &os.PathError{Op: "sendfile", Path: name, Err: serr}
	}
	return sent, true, nil
}
