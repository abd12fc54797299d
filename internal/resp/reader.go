package resp

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// ProtocolError is a malformed request. Its text is Redis's, and the
// connection that sent it is closed after the error reply.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

const (
	inlineMax    = 64 * 1024 // PROTO_INLINE_MAX_SIZE
	readChunk    = 16 * 1024
	maxMultibulk = 1024 * 1024 * 1024
)

// Reader decodes client requests. It is not safe for concurrent use.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]

	// MaxBulk is proto-max-bulk-len; MaxQuery is client-query-buffer-limit.
	MaxBulk  int64
	MaxQuery int64
	// Unauthenticated applies Redis's tighter limits to a client that has
	// not authenticated yet (10 arguments, 16 KiB each), so an anonymous
	// client cannot make the server buffer much.
	Unauthenticated bool

	// args is the argument list ReadCommand returns, reused by the next
	// call (a pointer-holding allocation per command showed as 12% of the
	// CPU under pipelined writes); nargs is how many it last held.
	args  [][]byte
	nargs int
}

// NewReader returns a Reader with Redis's default limits.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, readChunk), MaxBulk: 512 << 20, MaxQuery: 1 << 30}
}

// Buffered reports how many unread bytes are buffered: a server flushes replies
// only when no further pipelined request is already waiting.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads more bytes, growing the buffer when it is full.
func (r *Reader) fill() error {
	if r.r > 0 && r.r == r.w {
		r.r, r.w = 0, 0
	}
	if r.w == len(r.buf) {
		if r.r > 0 {
			n := copy(r.buf, r.buf[r.r:r.w])
			r.r, r.w = 0, n
		} else {
			if int64(len(r.buf)) >= r.MaxQuery {
				return &ProtocolError{Msg: "query buffer limit exceeded"}
			}
			nb := make([]byte, len(r.buf)*2)
			copy(nb, r.buf[:r.w])
			r.buf = nb
		}
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// line returns the next CRLF-terminated line without its terminator. The
// returned slice aliases the buffer and is valid until the next read.
func (r *Reader) line(limit int, tooBig string) ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.r+scanned:r.w], '\n'); i >= 0 {
			end := r.r + scanned + i
			ln := r.buf[r.r:end]
			r.r = end + 1
			if len(ln) > 0 && ln[len(ln)-1] == '\r' {
				ln = ln[:len(ln)-1]
			}
			return ln, nil
		}
		scanned = r.w - r.r
		if scanned > limit {
			return nil, &ProtocolError{Msg: tooBig}
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// ReadCommand reads one request and returns its arguments. Each argument is
// freshly allocated and owned by the caller; the slice holding them is
// reused by the next ReadCommand, so a caller that keeps the list past
// that (a MULTI queue) copies it. An error of type *ProtocolError means
// the stream is unusable: reply with it and close.
func (r *Reader) ReadCommand() ([][]byte, error) {
	for r.r == r.w {
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
	if r.buf[r.r] != '*' {
		return r.readInline()
	}
	ln, err := r.line(inlineMax, "too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := parseInt(ln[1:])
	if !ok || n > maxMultibulk {
		return nil, &ProtocolError{Msg: "invalid multibulk length"}
	}
	if r.Unauthenticated && n > 10 {
		return nil, &ProtocolError{Msg: "unauthenticated multibulk length"}
	}
	if n <= 0 {
		return nil, nil // Redis ignores empty and null arrays
	}
	// Read the lengths and bodies, each body into its own allocation.
	args := r.args[:0]
	if int64(cap(args)) < min(n, 1024) {
		args = make([][]byte, 0, min(n, 1024))
	}
	for i := int64(0); i < n; i++ {
		ln, err := r.line(inlineMax, "too big bulk count string")
		if err != nil {
			return nil, err
		}
		if len(ln) == 0 || ln[0] != '$' {
			c := byte(' ')
			if len(ln) > 0 {
				c = ln[0]
			}
			return nil, &ProtocolError{Msg: fmt.Sprintf("expected '$', got '%c'", c)}
		}
		sz, ok := parseInt(ln[1:])
		if !ok || sz < 0 || sz > r.MaxBulk {
			return nil, &ProtocolError{Msg: "invalid bulk length"}
		}
		if r.Unauthenticated && sz > 16384 {
			return nil, &ProtocolError{Msg: "unauthenticated bulk length"}
		}
		arg, err := r.readBulk(int(sz))
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	if cap(args) <= 1024 {
		clear(args[len(args):max(r.nargs, len(args))]) // drop the last command's arguments
		r.args, r.nargs = args, len(args)
	} else { // grown past the kept size: the old list may hold some of these
		clear(r.args[:cap(r.args)])
		r.nargs = 0
	}
	return args, nil
}

// readBulk reads sz bytes and the CRLF after them into a new slice.
func (r *Reader) readBulk(sz int) ([]byte, error) {
	out := make([]byte, sz)
	got := 0
	for got < sz {
		if r.r == r.w {
			if sz-got >= len(r.buf) {
				// A large body is read straight into its destination.
				n, err := r.rd.Read(out[got:])
				got += n
				if n == 0 {
					if err == nil {
						err = io.ErrNoProgress
					}
					return nil, err
				}
				continue
			}
			if err := r.fill(); err != nil {
				return nil, err
			}
		}
		n := copy(out[got:], r.buf[r.r:r.w])
		got += n
		r.r += n
	}
	for r.w-r.r < 2 {
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
	if r.buf[r.r] != '\r' || r.buf[r.r+1] != '\n' {
		return nil, &ProtocolError{Msg: "invalid bulk length"}
	}
	r.r += 2
	return out, nil
}

// parseInt parses a decimal integer as Redis's string2ll does: no spaces, no
// plus sign, no leading zeros except "0" itself.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

var errUnbalanced = &ProtocolError{Msg: "unbalanced quotes in request"}

func (r *Reader) readInline() ([][]byte, error) {
	ln, err := r.line(inlineMax, "too big inline request")
	if err != nil {
		return nil, err
	}
	args, ok := SplitArgs(ln)
	if !ok {
		return nil, errUnbalanced
	}
	return args, nil
}
