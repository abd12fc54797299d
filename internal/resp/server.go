package resp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"triad/internal/cache"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("resp: server closed")

// Config holds the front-end's settings; CONFIG SET changes some at run time.
type Config struct {
	// Addr is where the server listens (informational; Serve takes a listener).
	Addr string
	// MaxClients is maxclients (default 10000): further connections get
	// "-ERR max number of clients reached" and are closed.
	MaxClients int
	// Timeout closes a client idle this long (0, the default: never).
	// Pub/sub and blocked clients are exempt, as in Redis.
	Timeout time.Duration
	// ProtoMaxBulkLen is proto-max-bulk-len (default 512 MB).
	ProtoMaxBulkLen int64
	// QueryBufferLimit is client-query-buffer-limit (default 1 GB).
	QueryBufferLimit int64
	// ProtectedMode refuses non-loopback clients while no password is set
	// (default true).
	ProtectedMode bool
	// TLS, if set, wraps every accepted connection.
	TLS *tls.Config
	// PubSubLimit is the hard client-output-buffer-limit for pub/sub clients
	// (default 32 MB): a subscriber that falls this far behind is closed.
	PubSubLimit int64
}

// DefaultConfig returns Redis's defaults.
func DefaultConfig() Config {
	return Config{MaxClients: 10000, ProtoMaxBulkLen: 512 << 20, QueryBufferLimit: 1 << 30,
		ProtectedMode: true, PubSubLimit: 32 << 20}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.MaxClients < 1 {
		return fmt.Errorf("resp: maxclients must be at least 1, got %d", c.MaxClients)
	}
	if c.ProtoMaxBulkLen < 1<<20 {
		return fmt.Errorf("resp: proto-max-bulk-len must be at least 1mb, got %d", c.ProtoMaxBulkLen)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("resp: timeout must not be negative")
	}
	return nil
}

// Host is what the front-end needs from the rest of the node: persistence
// commands, extra CONFIG parameters and INFO sections, and shutdown.
type Host interface {
	Save() error
	BGSave() error
	LastSave() time.Time
	Params() []Param
	Info(section string) [][2]string // nil: the host has no such section
	Shutdown(save bool)
}

// Param is one CONFIG parameter.
type Param struct {
	Name string
	Get  func() string
	Set  func(string) error // nil: read-only
}

// Server serves RESP clients.
type Server struct {
	eng  *cache.Engine
	hub  *cache.Hub
	host Host
	log  *slog.Logger
	acl  *ACL

	cfgMu sync.RWMutex
	cfg   Config

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	wg        sync.WaitGroup
	monitors  map[*conn]struct{}

	nextID   atomic.Int64
	nmon     atomic.Int32 // len(monitors), read without the lock per command
	timeout  atomic.Int64 // Config.Timeout in ns, read per request
	maxBulk  atomic.Int64 // proto-max-bulk-len, read per request
	maxQuery atomic.Int64 // client-query-buffer-limit, read per request
	started  time.Time
	stats    serverStats
	slowlog  *slowlog
	pause    pauseState
	params   map[string]*Param
	shutdown chan struct{}
}

type serverStats struct {
	connections, commands, rejected, netIn, netOut atomic.Int64
}

// NewServer builds a server; Serve starts it on a listener.
func NewServer(cfg Config, eng *cache.Engine, host Host, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		eng: eng, hub: cache.NewHub(), host: host, log: log, cfg: cfg,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		monitors:  make(map[*conn]struct{}),
		started:   time.Now(),
		slowlog:   newSlowlog(),
		shutdown:  make(chan struct{}),
	}
	s.timeout.Store(int64(cfg.Timeout))
	s.maxBulk.Store(cfg.ProtoMaxBulkLen)
	s.maxQuery.Store(cfg.QueryBufferLimit)
	s.acl = newACL()
	s.params = s.buildParams()
	return s
}

// ACL returns the server's user table (to configure requirepass and users).
func (s *Server) ACL() *ACL { return s.acl }

func (s *Server) config() Config {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
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
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff) // accept backoff, as net/http does
				continue
			}
			return fmt.Errorf("resp: accept: %w", err)
		}
		backoff = 0
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	cfg := s.config()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAlive(true)
	}
	if cfg.TLS != nil {
		nc = tls.Server(nc, cfg.TLS)
	}
	s.stats.connections.Add(1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if len(s.conns) >= cfg.MaxClients {
		s.mu.Unlock()
		s.stats.rejected.Add(1)
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		if _, ok := s.monitors[c]; ok {
			delete(s.monitors, c)
			s.nmon.Add(-1)
		}
		s.mu.Unlock()
	}()
}

// Shutdown stops accepting, lets every connection finish the command it is
// running, closes the connections and waits for them, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.closeSoon()
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
			c.nc.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// ConnectedClients is the number of open client connections.
func (s *Server) ConnectedClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// CommandsProcessed is the number of commands run since start (or CONFIG
// RESETSTAT).
func (s *Server) CommandsProcessed() int64 { return s.stats.commands.Load() }

// Hub is the pub/sub hub.
func (s *Server) Hub() *cache.Hub { return s.hub }
