package resp

import (
	"io"
	"math"
	"strconv"
)

// Writer encodes replies into a buffer in the client's protocol version and
// implements cache.Reply. It is not safe for concurrent use; Flush writes the
// buffer to the underlying writer.
type Writer struct {
	w     io.Writer
	buf   []byte
	proto int
	err   error
}

// NewWriter returns a RESP2 writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, buf: make([]byte, 0, 16*1024), proto: 2} }

// SetProto switches the reply protocol (2 or 3).
func (w *Writer) SetProto(p int) { w.proto = p }

// Proto is the protocol in use.
func (w *Writer) Proto() int { return w.proto }

// Buffered is the number of bytes waiting to be flushed.
func (w *Writer) Buffered() int { return len(w.buf) }

// Bytes returns the unflushed bytes (for capturing replies in tests and MULTI).
func (w *Writer) Bytes() []byte { return w.buf }

// Reset drops the unflushed bytes.
func (w *Writer) Reset() { w.buf = w.buf[:0] }

// Flush writes the buffer out. A write error is sticky.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, w.err = w.w.Write(w.buf)
	if cap(w.buf) > 1<<20 {
		w.buf = make([]byte, 0, 16*1024)
	} else {
		w.buf = w.buf[:0]
	}
	return w.err
}

func (w *Writer) header(c byte, n int64) {
	w.buf = append(w.buf, c)
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) Status(s string) {
	w.buf = append(w.buf, '+')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) Error(s string) {
	w.buf = append(w.buf, '-')
	for i := 0; i < len(s); i++ { // an error line must not contain CR or LF
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) Int(n int64) { w.header(':', n) }

func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) Null() {
	if w.proto >= 3 {
		w.buf = append(w.buf, '_', '\r', '\n')
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

func (w *Writer) NullArray() {
	if w.proto >= 3 {
		w.buf = append(w.buf, '_', '\r', '\n')
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

func (w *Writer) Array(n int) { w.header('*', int64(n)) }

func (w *Writer) Map(n int) {
	if w.proto >= 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

func (w *Writer) Set(n int) {
	if w.proto >= 3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Push starts a RESP3 push message (an array in RESP2, as pub/sub messages are).
func (w *Writer) Push(n int) {
	if w.proto >= 3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

func (w *Writer) Double(f float64) {
	if w.proto >= 3 {
		w.buf = append(w.buf, ',')
		w.buf = appendDouble(w.buf, f)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(string(appendDouble(nil, f)))
}

func (w *Writer) Bool(b bool) {
	if w.proto >= 3 {
		if b {
			w.buf = append(w.buf, "#t\r\n"...)
		} else {
			w.buf = append(w.buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

func (w *Writer) Verbatim(s string) {
	if w.proto >= 3 {
		w.header('=', int64(len(s)+4))
		w.buf = append(w.buf, "txt:"...)
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends pre-encoded bytes.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// appendDouble formats f as Redis does for RESP3 doubles: inf, -inf, nan, and
// the shortest representation that round-trips otherwise.
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}
