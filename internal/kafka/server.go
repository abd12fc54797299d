package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"triad/internal/queue"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("kafka: server closed")

// Config holds the front-end's settings. Defaults follow Kafka's broker
// configuration where Kafka has one.
type Config struct {
	// Addr is where the server listens (informational; Serve takes a
	// listener). Default 127.0.0.1:9092.
	Addr string
	// AdvertisedHost and AdvertisedPort are the address Metadata gives
	// clients for this node (Kafka's advertised.listeners). Default: the
	// first listener's address, its hostname if it listens on every
	// interface.
	AdvertisedHost string
	AdvertisedPort int32
	// NodeID is this broker's id in Metadata (Kafka's node.id). Default 0.
	NodeID int32
	// ClusterID is the cluster id in Metadata v2+; "" sends null.
	ClusterID string
	// MaxRequestBytes is the largest request accepted, size prefix excluded
	// (Kafka's socket.request.max.bytes, default 100 MiB). A larger one
	// closes the connection.
	MaxRequestBytes int32
	// MaxConns caps open client connections (Kafka's max.connections);
	// further ones are closed on accept. Default 0: no cap, as Kafka.
	MaxConns int
	// IdleTimeout closes a connection that sends no request for this long
	// (Kafka's connections.max.idle.ms, default 10 minutes); 0: never.
	IdleTimeout time.Duration
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:9092", MaxRequestBytes: 100 << 20, IdleTimeout: 10 * time.Minute}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.MaxRequestBytes < 1024:
		return fmt.Errorf("kafka: max request bytes must be at least 1024, got %d", c.MaxRequestBytes)
	case c.MaxConns < 0:
		return fmt.Errorf("kafka: max connections must not be negative, got %d", c.MaxConns)
	case c.IdleTimeout < 0:
		return fmt.Errorf("kafka: idle timeout must not be negative, got %v", c.IdleTimeout)
	case c.NodeID < 0:
		return fmt.Errorf("kafka: node id must not be negative, got %d", c.NodeID)
	case c.AdvertisedPort < 0 || c.AdvertisedPort > 65535:
		return fmt.Errorf("kafka: advertised port out of range: %d", c.AdvertisedPort)
	}
	return nil
}

// Server serves Kafka clients.
type Server struct {
	cfg     Config
	log     *slog.Logger
	backend Backend
	apis    apiTable

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	advert    queue.Broker // set by the first Serve unless configured
	closed    bool
	wg        sync.WaitGroup // every goroutine the server starts

	// stopping ends when Shutdown starts: requests that wait on other
	// clients (JoinGroup, SyncGroup) give up then rather than hold the
	// shutdown for a rebalance timeout.
	stopping    context.Context
	stopWaiting context.CancelFunc
}

// NewServer builds a server over backend; Serve starts it. A nil backend is a
// node that knows no topics (backend.go).
func NewServer(cfg Config, backend Backend) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, apis: newAPITable(),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		advert:    queue.Broker{NodeID: cfg.NodeID, Host: cfg.AdvertisedHost, Port: cfg.AdvertisedPort},
	}
	s.stopping, s.stopWaiting = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.backend = backend
	if backend == nil {
		s.backend = standalone{s}
	}
	return s, nil
}

// self is this node as Metadata advertises it.
func (s *Server) self() queue.Broker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.advert
}

// adoptAddrLocked fills the advertised address from a listener's where the
// configuration left it out.
func (s *Server) adoptAddrLocked(a net.Addr) {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return
	}
	if s.advert.Host == "" {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			if h, err := os.Hostname(); err == nil {
				host = h
			}
		}
		s.advert.Host = host
	}
	if s.advert.Port == 0 {
		p, _ := strconv.Atoi(port)
		s.advert.Port = int32(p)
	}
}

// spawn runs fn on a goroutine that Shutdown waits for.
func (s *Server) spawn(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.adoptAddrLocked(ln.Addr())
	s.mu.Unlock()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff) // accept backoff, as net/http does
				continue
			}
			return fmt.Errorf("kafka: accept: %w", err)
		}
		backoff = 0
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAlive(true)
	}
	s.mu.Lock()
	if s.closed || (s.cfg.MaxConns > 0 && len(s.conns) >= s.cfg.MaxConns) {
		closed := s.closed
		s.mu.Unlock()
		if !closed {
			s.log.Debug("kafka: max connections reached, closing new connection", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxConns)
		}
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.spawn(func() {
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	})
	s.mu.Unlock()
}

// Shutdown stops accepting and reading requests, lets every connection answer
// the requests it has read, closes them and waits; when ctx ends first it
// closes what is left at once (cancelling the handlers' contexts) and returns
// ctx's error without waiting further.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopWaiting()
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.abort()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// Conns is the number of open client connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
