package kafka

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxPipelined bounds how far a connection reads ahead of the responses it
// has written: past it, reading waits (TCP then pushes back on the client).
// librdkafka pipelines up to max.in.flight (default 1,000,000), kgo five
// produce requests per broker; Kafka itself reads one request at a time.
const maxPipelined = 64

// conn is one client connection: a reader (the connection's goroutine) that
// decodes and dispatches requests in order, and a writer that writes their
// responses in the same order as they complete. The queue between them holds
// one pending per answered request.
type conn struct {
	s      *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context // cancelled when the connection is aborted
	cancel context.CancelFunc
	queue  chan *pending
	host   string // the client's IP, as Kafka reports it ("/127.0.0.1")

	stopping atomic.Bool // Shutdown asked the reader to stop
}

// pending is a request whose response is not written yet. done is closed
// once resp and err are final; err closes the connection when the writer
// reaches it, after the responses before it.
type pending struct {
	h    header
	done chan struct{}
	resp kmsg.Response
	err  error
}

func (p *pending) finish(resp kmsg.Response, err error) {
	p.resp, p.err = resp, err
	close(p.done)
}

// release lets go of what a written or abandoned response holds (a
// Fetch response's record sets); p must be done.
func (p *pending) release() {
	if fr, ok := p.resp.(*fetchResponse); ok {
		fr.release()
	}
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	host := nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return &conn{
		s: s, nc: nc, ctx: ctx, cancel: cancel, host: "/" + host,
		log:   s.log.With("remote", nc.RemoteAddr().String()),
		queue: make(chan *pending, maxPipelined),
	}
}

// serve runs the connection until it closes.
func (c *conn) serve() {
	defer c.cancel()
	wrote := make(chan struct{})
	c.s.spawn(func() {
		defer close(wrote)
		c.writeLoop()
	})
	c.readLoop()
	close(c.queue)
	<-wrote
	c.nc.Close()
}

// stopReading makes the reader stop after the request it is on (Shutdown).
func (c *conn) stopReading() {
	c.stopping.Store(true)
	_ = c.nc.SetReadDeadline(time.Now())
}

// abort closes the connection now and cancels its handlers.
func (c *conn) abort() {
	c.cancel()
	c.nc.Close()
}

// maxReusedFrame bounds the produce frame a connection keeps for reuse.
const maxReusedFrame = 8 << 20

func (c *conn) readLoop() {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var reuse []byte
	idle := c.s.cfg.IdleTimeout
	for {
		if idle > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(idle))
		}
		// After the deadline: stopReading sets its own after the flag.
		if c.stopping.Load() {
			return
		}
		frame, err := readFrame(br, c.s.cfg.MaxRequestBytes, reuse)
		if err != nil {
			c.readFailed(err)
			return
		}
		p := c.handle(frame)
		reuse = nil
		if len(frame) >= 2 && frameFree[int16(binary.BigEndian.Uint16(frame))] && cap(frame) <= maxReusedFrame {
			reuse = frame[:0] // see frameFree
		}
		if p == nil {
			continue // no response (acks=0)
		}
		select {
		case c.queue <- p:
		case <-c.ctx.Done():
			return
		}
		select {
		case <-p.done:
			if p.err != nil {
				return // the writer closes the connection when it reaches p
			}
		default:
		}
	}
}

func (c *conn) readFailed(err error) {
	var ne net.Error
	switch {
	case c.stopping.Load() || c.ctx.Err() != nil:
	case errors.Is(err, io.EOF):
		c.log.Debug("kafka: client closed the connection")
	case errors.As(err, &ne) && ne.Timeout():
		c.log.Debug("kafka: closing idle connection", "idle", c.s.cfg.IdleTimeout)
	default:
		c.log.Debug("kafka: closing connection", "err", err)
	}
}

// handle decodes and dispatches one request. It returns nil for a request
// that gets no response, and otherwise a pending that is either done or
// will be done by a deferred handler.
func (c *conn) handle(frame []byte) *pending {
	h, body, err := parseHeader(frame)
	p := &pending{h: h, done: make(chan struct{})}
	if err != nil {
		p.finish(nil, err)
		return p
	}
	a, ok := c.s.apis[h.key]
	if !ok {
		p.finish(nil, fmt.Errorf("%w %d (%s)", ErrUnknownAPIKey, h.key, kmsg.NameForKey(h.key)))
		return p
	}
	if h.version < a.min || h.version > a.max {
		if h.key == apiVersionsKey {
			p.finish(c.s.apis.unsupportedAPIVersions(), nil)
		} else {
			p.finish(nil, fmt.Errorf("%w: %s v%d (supported %d-%d)", ErrUnsupportedAPIVer, kmsg.NameForKey(h.key), h.version, a.min, a.max))
		}
		return p
	}
	req, err := decodeBody(h, body)
	if err != nil {
		p.finish(nil, err)
		return p
	}
	rc := &requestContext{s: c.s, clientID: h.clientID, version: h.version, clientHost: c.host}
	r, err := c.call(h, func() (reply, error) { return a.handle(c.ctx, rc, req) })
	switch {
	case err != nil:
		p.finish(nil, err)
	case r.wait != nil:
		wait := r.wait
		c.s.spawn(func() {
			r, err := c.call(h, func() (reply, error) {
				resp, err := wait(c.ctx)
				return reply{resp: resp}, err
			})
			p.finish(r.resp, err)
		})
	case r.resp != nil:
		p.finish(r.resp, nil)
	default:
		return nil
	}
	return p
}

// call runs a handler, turning a panic into an error that closes the
// connection: one bad request must not take the server down.
func (c *conn) call(h header, fn func() (reply, error)) (r reply, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("kafka: handler panicked, closing connection", "api", kmsg.NameForKey(h.key),
				"version", h.version, "panic", v, "stack", string(debug.Stack()))
			r, err = reply{}, fmt.Errorf("kafka: %s v%d handler panicked: %v", kmsg.NameForKey(h.key), h.version, v)
		}
	}()
	return fn()
}

// writeLoop writes responses in request order, waiting for each in turn,
// and flushes whenever it has caught up with the reader.
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	sock, _ := c.nc.(syscall.Conn) // for sendfile; nil: copy
	var buf []byte
	for p := range c.queue {
		select {
		case <-p.done:
		default:
			// Answered requests must not wait behind a slow one (a long
			// poll): flush them before waiting.
			if err := c.flush(bw); err != nil {
				c.writeFailed(err)
				return
			}
			select {
			case <-p.done:
			case <-c.ctx.Done():
				c.s.spawn(func() {
					<-p.done
					p.release()
				})
				c.drain()
				return
			}
		}
		if p.err != nil {
			c.log.Debug("kafka: closing connection", "api", kmsg.NameForKey(p.h.key), "version", p.h.version, "err", p.err)
			c.fail(bw)
			return
		}
		if p.resp == nil {
			continue // a deferred handler decided not to answer
		}
		var err error
		if fr, ok := p.resp.(*fetchResponse); ok {
			// Record sets may go straight to the socket: the write
			// deadline must hold for them too.
			if idle := c.s.cfg.IdleTimeout; idle > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(idle))
			}
			buf, err = fr.write(bw, sock, p.h.correlationID, buf)
			fr.release()
		} else {
			// ApiVersions answers with header v0 even when flexible (api_versions.go).
			flexHeader := p.resp.IsFlexible() && p.h.key != apiVersionsKey
			buf = appendResponse(buf[:0], p.h.correlationID, flexHeader, p.resp)
			_, err = bw.Write(buf)
		}
		if err != nil {
			c.writeFailed(err)
			return
		}
		if len(c.queue) == 0 {
			if err := c.flush(bw); err != nil {
				c.writeFailed(err)
				return
			}
		}
		if cap(buf) > 1<<20 {
			buf = nil // do not pin one large response's buffer
		}
	}
	_ = c.flush(bw)
}

// flush writes out buffered responses; a client that stops reading them for
// the idle timeout is closed.
func (c *conn) flush(bw *bufio.Writer) error {
	if bw.Buffered() == 0 {
		return nil
	}
	if idle := c.s.cfg.IdleTimeout; idle > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(idle))
	}
	return bw.Flush()
}

// fail flushes what was answered before the failing request and closes.
func (c *conn) fail(bw *bufio.Writer) {
	_ = c.flush(bw)
	c.abort()
	c.drain()
}

func (c *conn) writeFailed(err error) {
	if c.ctx.Err() == nil {
		c.log.Debug("kafka: write failed, closing connection", "err", err)
	}
	c.abort()
	c.drain()
}

// drain consumes the queue until the reader closes it, so that the reader
// never blocks on a writer that has stopped, releasing the responses it
// will not write (those still running release once they finish: their
// handlers see the connection's context cancelled).
func (c *conn) drain() {
	for p := range c.queue {
		select {
		case <-p.done:
			p.release()
		default:
			c.s.spawn(func() {
				<-p.done
				p.release()
			})
		}
	}
}
