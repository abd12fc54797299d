package resp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"triad/internal/cache"
)

// conn is one client connection, served by one goroutine. Replies are
// buffered and flushed when no further pipelined request is waiting; before
// a flush that acknowledges writes, the connection waits for the journal to
// make them as durable as appendfsync promises (group commit falls out of
// this: a pipeline's writes share one sync).
type conn struct {
	srv *Server
	nc  net.Conn
	r   *Reader
	w   *Writer

	id      int64
	created time.Time
	lastCmd atomic.Int64 // unix ms
	ctx     context.Context
	cancel  context.CancelFunc

	db       int
	user     atomic.Pointer[User] // read by other connections (CLIENT KILL USER, ACL DELUSER)
	authed   bool
	name     atomic.Pointer[string]
	libName  string
	libVer   string
	durable  uint64 // highest log index to make durable before the next flush
	closing  atomic.Bool
	lastName atomic.Pointer[string]

	// MULTI state.
	multi    bool
	multiErr bool
	queued   [][][]byte
	watches  []cache.Watch

	// Pub/sub and MONITOR: once either is used, replies go through an
	// asynchronous writer so publishers never block on this client.
	subMu    sync.Mutex
	channels map[string]struct{}
	patterns map[string]struct{}
	async    *asyncWriter
	noEvict  bool
	// batchStart is the wall clock when the current batch of pipelined
	// requests began; batchEl the monotonic time elapsed in it so far.
	batchStart time.Time
	// cmdNow is the current command's wall clock in unix ms (batchStart
	// plus the batch's elapsed monotonic time), handed to the engine.
	cmdNow   int64
	batchEl  time.Duration
	clockSet bool
	nsubs    atomic.Int32 // len(channels)+len(patterns), for the per-command check
}

func newConn(s *Server, nc net.Conn) *conn {
	cfg := s.config()
	c := &conn{srv: s, nc: nc, id: s.nextID.Add(1), created: time.Now()}
	c.r = NewReader(&deadlineReader{c: c})
	c.r.MaxBulk, c.r.MaxQuery = cfg.ProtoMaxBulkLen, cfg.QueryBufferLimit
	c.w = NewWriter(countingWriter{c})
	c.ctx, c.cancel = context.WithCancel(context.Background())
	u := s.acl.defaultUser()
	c.user.Store(u)
	c.authed = u != nil && u.nopass && u.enabled
	c.lastCmd.Store(time.Now().UnixMilli())
	return c
}

// deadlineReader applies the idle timeout to reads.
type deadlineReader struct{ c *conn }

func (d *deadlineReader) Read(p []byte) (int, error) {
	c := d.c
	if t := time.Duration(c.srv.timeout.Load()); t > 0 && !c.subscribed() {
		_ = c.nc.SetReadDeadline(time.Now().Add(t))
	}
	n, err := c.nc.Read(p)
	c.srv.stats.netIn.Add(int64(n))
	return n, err
}

type countingWriter struct{ c *conn }

func (cw countingWriter) Write(p []byte) (int, error) {
	cw.c.srv.stats.netOut.Add(int64(len(p)))
	return cw.c.nc.Write(p)
}

func (c *conn) closeSoon() {
	c.closing.Store(true)
	_ = c.nc.SetReadDeadline(time.Now()) // wake a blocked read
	c.cancel()
}

func (c *conn) subscribed() bool { return c.nsubs.Load() > 0 }

func (c *conn) serve() {
	defer c.cleanup()
	if c.srv.config().ProtectedMode && !c.srv.acl.hasPassword() && !isLoopback(c.nc.RemoteAddr()) {
		c.w.Error(protectedModeMsg)
		c.flush()
		return
	}
	for {
		c.r.Unauthenticated = !c.authed
		c.r.MaxBulk, c.r.MaxQuery = c.srv.maxBulk.Load(), c.srv.maxQuery.Load()
		newBatch := c.r.Buffered() == 0
		args, err := c.r.ReadCommand()
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				c.srv.log.Debug("protocol error", "client", c.nc.RemoteAddr().String(), "err", err)
				c.w.Error("ERR " + pe.Error())
				c.flush()
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		c.srv.pause.wait(c, args)
		if newBatch || !c.clockSet {
			// One wall-clock reading per batch of pipelined requests; each
			// command's duration is then measured on the monotonic clock.
			c.batchStart, c.batchEl, c.clockSet = time.Now(), 0, true
		}
		c.run(args)
		if c.r.Buffered() == 0 || c.w.Buffered() > 64<<10 {
			if !c.flush() {
				return
			}
		}
		if c.closing.Load() {
			c.flush()
			return
		}
	}
}

// run executes one command with panic isolation: a panic is reported to
// this client only, never taking down the process.
func (c *conn) run(args [][]byte) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("panic in command", "cmd", string(args[0]), "panic", r, "stack", string(debug.Stack()))
			c.w.Error(fmt.Sprintf("ERR internal error while running '%s': %v", strings.ToLower(string(args[0])), r))
		}
	}()
	startEl := c.batchEl
	c.cmdNow = c.batchStart.UnixMilli() + int64(startEl/time.Millisecond)
	c.lastCmd.Store(c.cmdNow)
	c.dispatch(args)
	c.srv.stats.commands.Add(1)
	c.batchEl = time.Since(c.batchStart)
	if d := c.batchEl - startEl; d >= c.srv.slowlog.threshold() {
		c.srv.slowlog.add(c, args, d)
	}
}

// flush makes pending writes durable, then sends the buffered replies.
func (c *conn) flush() bool {
	if c.durable != 0 {
		// Let the other clients that are ready run first: their writes then
		// join this one's log write (everysec, no) or fsync (always), as all
		// the clients served in one turn of an event loop share one — a
		// write(2) per batch of clients instead of per client.
		if !c.srv.eng.IsDurable(c.durable) {
			runtime.Gosched()
		}
		if err := c.srv.eng.Durable(c.durable); err != nil {
			// The write is applied but could not be made durable: the client
			// must not take it as acknowledged.
			c.srv.log.Error("journal sync failed", "err", err)
			c.w.Reset()
			c.w.Error("MISCONF Errors writing to the append only file: " + err.Error())
			c.durable = 0
			_ = c.w.Flush()
			return false
		}
		c.durable = 0
	}
	if c.async != nil {
		c.async.enqueue(c.w.Bytes())
		c.w.Reset()
		return !c.async.failed()
	}
	return c.w.Flush() == nil
}

func (c *conn) cleanup() {
	c.cancel()
	c.unsubscribeAll()
	if c.async != nil {
		c.async.close()
	}
	c.nc.Close()
}

func isLoopback(a net.Addr) bool {
	switch v := a.(type) {
	case *net.TCPAddr:
		return v.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return true
}

const protectedModeMsg = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// asyncWriter sends a connection's output from its own goroutine, so that
// publishers and MONITOR never wait for a slow client. A client whose queue
// exceeds the pub/sub output limit is disconnected.
type asyncWriter struct {
	mu     sync.Mutex
	queue  [][]byte
	size   int64
	limit  int64
	wake   chan struct{}
	done   chan struct{}
	err    atomic.Bool
	closed bool
	nc     io.WriteCloser
}

func newAsyncWriter(nc io.WriteCloser, limit int64) *asyncWriter {
	a := &asyncWriter{limit: limit, wake: make(chan struct{}, 1), done: make(chan struct{}), nc: nc}
	go a.loop()
	return a
}

func (a *asyncWriter) enqueue(b []byte) {
	if len(b) == 0 {
		return
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.queue = append(a.queue, append([]byte(nil), b...))
	a.size += int64(len(b))
	over := a.limit > 0 && a.size > a.limit
	a.mu.Unlock()
	if over {
		a.err.Store(true)
		a.nc.Close() // output buffer limit: disconnect, as Redis does
		return
	}
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *asyncWriter) failed() bool { return a.err.Load() }

func (a *asyncWriter) loop() {
	defer close(a.done)
	for {
		a.mu.Lock()
		q := a.queue
		a.queue, a.size = nil, 0
		closed := a.closed
		a.mu.Unlock()
		for _, b := range q {
			if _, err := a.nc.Write(b); err != nil {
				a.err.Store(true)
				a.nc.Close()
				return
			}
		}
		if closed && len(q) == 0 {
			return
		}
		if len(q) == 0 {
			<-a.wake
		}
	}
}

func (a *asyncWriter) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	<-a.done
}
