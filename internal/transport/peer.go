package transport

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// peer owns the outgoing message connection to one node. Send appends to
// its queue; one goroutine (run) drains the whole queue into one write.
type peer struct {
	t    *TCP
	id   uint64
	stop chan struct{} // closed by RemovePeer or Close
	wake chan struct{} // capacity 1

	mu          sync.Mutex
	addr        string
	addrChanged bool
	queue       []Envelope
}

func newPeer(t *TCP, id uint64, addr string) *peer {
	return &peer{
		t: t, id: id, addr: addr,
		stop: make(chan struct{}),
		wake: make(chan struct{}, 1),
	}
}

func (p *peer) setAddr(addr string) {
	p.mu.Lock()
	if addr != p.addr {
		p.addr, p.addrChanged = addr, true
	}
	p.mu.Unlock()
	p.kick()
}

func (p *peer) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *peer) enqueue(envs []Envelope) {
	p.mu.Lock()
	room := max(p.t.cfg.QueueSize-len(p.queue), 0)
	p.queue = append(p.queue, envs[:min(room, len(envs))]...)
	p.mu.Unlock()
	p.kick()
	if room < len(envs) {
		// Reported through the notifier's goroutine, not from here.
		for _, e := range envs[room:] {
			p.t.notify.unreachable(p.id, e.Group)
		}
	}
}

// run is the peer's writer goroutine.
func (p *peer) run() {
	var (
		conn    net.Conn
		readerD chan struct{} // closed when conn's reader goroutine ends
		backoff time.Duration
		retryAt time.Time
		buf     []byte
		spare   []Envelope
	)
	closeConn := func() {
		if conn != nil {
			p.t.untrackConn(conn)
			<-readerD
			conn = nil
		}
	}
	defer closeConn()
	for {
		select {
		case <-p.wake:
		case <-p.stop:
			return
		}
		p.mu.Lock()
		batch, addr, changed := p.queue, p.addr, p.addrChanged
		p.queue, p.addrChanged = spare[:0], false
		p.mu.Unlock()
		if changed {
			closeConn()
			backoff, retryAt = 0, time.Time{}
		}
		if conn != nil {
			select {
			case <-readerD: // the peer hung up or the connection broke
				closeConn()
			default:
			}
		}
		if len(batch) == 0 {
			spare = batch
			continue
		}
		if conn == nil {
			if time.Now().Before(retryAt) {
				p.drop(batch)
				spare = batch
				continue
			}
			c, _, err := p.t.dial(p.id, addr, kindMessages)
			if err != nil {
				backoff = min(max(2*backoff, p.t.cfg.MinBackoff), p.t.cfg.MaxBackoff)
				retryAt = time.Now().Add(jitter(backoff))
				if !errors.Is(err, ErrClosed) {
					p.t.log.Warn("transport: cannot reach peer", "peer", p.id, "addr", addr, "err", err, "retry_in", time.Until(retryAt).Round(time.Millisecond))
				}
				p.drop(batch)
				spare = batch
				continue
			}
			backoff, retryAt = 0, time.Time{}
			conn, readerD = c, make(chan struct{})
			// Nothing is ever sent back on a message connection; reading
			// only notices the peer hanging up, so the next write redials
			// instead of vanishing into a dead socket.
			done := readerD
			p.t.wg.Add(1) // the writer is tracked, so Close's Wait has not returned
			go func() {
				defer p.t.wg.Done()
				defer close(done)
				io.Copy(io.Discard, c)
			}()
		}
		var err error
		buf, err = p.write(conn, buf, batch)
		if err != nil {
			p.t.log.Warn("transport: write to peer failed", "peer", p.id, "addr", addr, "err", err)
			closeConn()
			p.drop(batch)
		}
		if cap(buf) > 4<<20 {
			buf = nil
		}
		clear(batch) // drop references to sent messages
		spare = batch
	}
}

// write encodes batch as frames of at most MaxFrameSize and writes them
// with one call. A message too large for any frame is dropped.
func (p *peer) write(c net.Conn, buf []byte, batch []Envelope) ([]byte, error) {
	limit := p.t.cfg.MaxFrameSize
	buf = buf[:0]
	buf, start := beginFrame(buf, frameBatch)
	for _, e := range batch {
		size, msgSize := envSize(e)
		if size > limit {
			p.t.log.Warn("transport: message larger than MaxFrameSize dropped", "peer", p.id, "group", e.Group, "size", size, "limit", limit)
			p.t.notify.unreachable(p.id, e.Group)
			continue
		}
		if len(buf)-start-frameHeaderLen+size > limit {
			buf = endFrame(buf, start)
			buf, start = beginFrame(buf, frameBatch)
		}
		var err error
		if buf, err = appendEnv(buf, e, msgSize); err != nil {
			return buf, err
		}
	}
	if len(buf)-start == frameHeaderLen {
		buf = buf[:start]
	} else {
		buf = endFrame(buf, start)
	}
	if len(buf) == 0 {
		return buf, nil
	}
	c.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	_, err := c.Write(buf)
	return buf, err
}

func (p *peer) drop(batch []Envelope) {
	seen := make(map[uint64]struct{})
	for _, e := range batch {
		if _, ok := seen[e.Group]; !ok {
			seen[e.Group] = struct{}{}
			p.t.notify.unreachable(p.id, e.Group)
		}
	}
	clear(batch)
}

// jitter spreads reconnects over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}
