package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// SendSnapshot implements Transport. The snapshot goes over a connection of
// its own so that a large body never delays the peer's heartbeats.
func (t *TCP) SendSnapshot(to uint64, env Envelope, body io.ReadCloser) {
	p := t.peer(to)
	if p == nil {
		body.Close()
		t.notify.snapshotStatus(to, env.Group, fmt.Errorf("%w %d", ErrUnknownPeer, to))
		return
	}
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	ok := t.spawn(func() {
		err := t.sendSnapshot(to, addr, env, body)
		body.Close()
		if err != nil && !errors.Is(err, ErrClosed) {
			t.log.Warn("transport: snapshot send failed", "peer", to, "group", env.Group, "err", err)
		}
		t.notify.snapshotStatus(to, env.Group, err)
	})
	if !ok {
		body.Close()
	}
}

func (t *TCP) sendSnapshot(to uint64, addr string, env Envelope, body io.Reader) error {
	c, br, err := t.dial(to, addr, kindSnapshot)
	if err != nil {
		return err
	}
	defer t.untrackConn(c)
	size, msgSize := envSize(env)
	if size > t.cfg.MaxFrameSize {
		return fmt.Errorf("%w: snapshot message is %d bytes, limit %d", ErrFrameTooLarge, size, t.cfg.MaxFrameSize)
	}
	buf, start := beginFrame(nil, frameSnapHead)
	if buf, err = appendEnv(buf, env, msgSize); err != nil {
		return fmt.Errorf("transport: encode snapshot message: %w", err)
	}
	buf = endFrame(buf, start)
	bw := bufio.NewWriterSize(deadlineWriter{c, t.cfg.WriteTimeout}, 64<<10)
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("transport: send snapshot to %d: %w", to, err)
	}
	chunk := make([]byte, frameHeaderLen+t.cfg.SnapshotChunkSize+frameCRCLen)
	var total uint64
	for {
		n, rerr := io.ReadFull(body, chunk[frameHeaderLen:frameHeaderLen+t.cfg.SnapshotChunkSize])
		if n > 0 {
			f, s := beginFrame(chunk[:0], frameSnapChunk)
			f = endFrame(f[:s+frameHeaderLen+n], s)
			if _, err := bw.Write(f); err != nil {
				return fmt.Errorf("transport: send snapshot to %d: %w", to, err)
			}
			total += uint64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("transport: read snapshot body: %w", rerr)
		}
	}
	end := appendFrame(nil, frameSnapEnd, binary.BigEndian.AppendUint64(nil, total))
	if _, err := bw.Write(end); err != nil {
		return fmt.Errorf("transport: send snapshot to %d: %w", to, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("transport: send snapshot to %d: %w", to, err)
	}
	// The receiver answers once its handler returns, however long applying
	// takes; Close unblocks this read.
	typ, p, _, err := readFrame(br, 64<<10, nil)
	if err == nil && typ != frameSnapAck {
		err = fmt.Errorf("%w: got frame %q, want snapshot ack", ErrBadFrame, typ)
	}
	if err != nil {
		if t.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("transport: snapshot to %d: no answer: %w", to, err)
	}
	ok, reason, err := parseStatus(p)
	if err != nil {
		return err
	}
	if !ok {
		return &RemoteError{Node: to, Msg: reason}
	}
	return nil
}

// RemoteError is a peer's HandleSnapshot error, as text.
type RemoteError struct {
	Node uint64
	Msg  string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("transport: peer %d: %s", e.Node, e.Msg)
}

type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.c.Write(p)
}

func (t *TCP) receiveSnapshot(c net.Conn, br *bufio.Reader, from uint64) {
	typ, p, _, err := readFrame(br, t.cfg.MaxFrameSize, nil)
	if err == nil && typ != frameSnapHead {
		err = fmt.Errorf("%w: got frame %q, want snapshot header", ErrBadFrame, typ)
	}
	var env Envelope
	if err == nil {
		var rest []byte
		env, rest, err = decodeEnv(p)
		if err == nil && len(rest) > 0 {
			err = fmt.Errorf("%w: trailing bytes after snapshot message", ErrBadFrame)
		}
	}
	if err != nil {
		t.log.Warn("transport: closing snapshot connection", "from", from, "err", err)
		return
	}
	body := &chunkReader{r: br, max: t.cfg.MaxFrameSize}
	herr := t.cfg.Handler.HandleSnapshot(from, env, body)
	if herr == nil {
		// The handler may stop early; the body must still arrive intact
		// for the snapshot to count as received.
		if _, err := io.Copy(io.Discard, body); err != nil {
			herr = err
		}
	}
	if body.err != nil && !errors.Is(body.err, io.EOF) {
		t.log.Warn("transport: snapshot stream broken", "from", from, "group", env.Group, "err", body.err)
		if herr == nil {
			herr = body.err
		}
	}
	c.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
	c.Write(appendFrame(nil, frameSnapAck, statusPayload(herr)))
}

// chunkReader presents snapshot chunk frames as one stream, ending at the
// end frame, whose byte count must match.
type chunkReader struct {
	r     io.Reader
	max   int
	buf   []byte
	cur   []byte
	total uint64
	err   error // sticky; io.EOF after a good end frame
}

func (cr *chunkReader) Read(p []byte) (int, error) {
	for len(cr.cur) == 0 {
		if cr.err != nil {
			return 0, cr.err
		}
		typ, payload, nb, err := readFrame(cr.r, cr.max, cr.buf)
		cr.buf = nb
		switch {
		case err != nil:
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			cr.err = fmt.Errorf("transport: snapshot body: %w", err)
		case typ == frameSnapChunk:
			cr.cur = payload
			cr.total += uint64(len(payload))
		case typ == frameSnapEnd:
			if len(payload) != 8 || binary.BigEndian.Uint64(payload) != cr.total {
				cr.err = fmt.Errorf("%w: snapshot end frame does not match %d bytes received", ErrBadFrame, cr.total)
			} else {
				cr.err = io.EOF
			}
		default:
			cr.err = fmt.Errorf("%w: unexpected frame %q in snapshot body", ErrBadFrame, typ)
		}
	}
	n := copy(p, cr.cur)
	cr.cur = cr.cur[n:]
	return n, nil
}
