//go:build !linux

package vfs

import "syscall"

// SendFile is sendfile(2) on Linux; elsewhere it declines (ok false) and
// the caller copies.
func SendFile(dst syscall.Conn, f File, off, n int64) (sent int64, ok bool, err error) {
	return 0, false, nil
}
