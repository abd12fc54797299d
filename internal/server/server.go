// Package server is Triad's composition root: it builds every component of a
// node from the resolved configuration, starts them in dependency order and
// shuts them down in reverse.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"triad/internal/cache"
	"triad/internal/config"
	"triad/internal/kafka"
	"triad/internal/queue"
	"triad/internal/resp"
	"triad/internal/storage/vfs"
	"triad/internal/transport"
)

// Node is one Triad process.
type Node struct {
	cfg  config.Config
	log  *slog.Logger
	opts Options

	eng     *cache.Engine
	resp    *resp.Server
	persist *persistence
	http    *http.Server
	coord   *coordinator
	queue   *queueNode

	ready     chan struct{}
	cacheAddr net.Addr
	httpAddr  net.Addr
	etcdAddr  net.Addr
	peerAddr  net.Addr
	stop      chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
}

// Options replace parts of a node for in-process cluster tests; the zero
// value is a real node.
type Options struct {
	// PeerNetwork, if set, builds the node-to-node transport instead of
	// TCP on --peer-addr (no peer listener is opened). It gets the node's
	// member ID and the endpoint to deliver to; peers are added by the
	// node as it learns them.
	PeerNetwork func(id uint64, to transport.Endpoint) transport.Transport
	// Queue, if set, adjusts the queue service's configuration (tests:
	// snapshot and retention intervals that flags do not reach).
	Queue func(*queue.Config)
}

// New builds a node; Run opens its data and serves.
func New(cfg config.Config, log *slog.Logger) (*Node, error) {
	return NewWithOptions(cfg, log, Options{})
}

// NewWithOptions builds a node with some parts replaced.
func NewWithOptions(cfg config.Config, log *slog.Logger, opts Options) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Node{cfg: cfg, log: log, opts: opts, ready: make(chan struct{}), stop: make(chan struct{})}, nil
}

// Ready is closed once every listener accepts connections.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// CacheAddr is the RESP listener's address (valid after Ready).
func (n *Node) CacheAddr() string { return n.cacheAddr.String() }

// HTTPAddr is the HTTP listener's address (valid after Ready; "" if disabled).
func (n *Node) HTTPAddr() string {
	if n.httpAddr == nil {
		return ""
	}
	return n.httpAddr.String()
}

// EtcdAddr is the etcd gRPC listener's address (valid after Ready).
func (n *Node) EtcdAddr() string { return n.etcdAddr.String() }

// PeerAddr is the node-to-node listener's address (valid after Ready; ""
// with Options.PeerNetwork).
func (n *Node) PeerAddr() string {
	if n.peerAddr == nil {
		return ""
	}
	return n.peerAddr.String()
}

// KafkaAddr is the address the Kafka front-end listens on.
func (n *Node) KafkaAddr() string {
	if n.queue == nil {
		return ""
	}
	return n.queue.ln.Addr().String()
}

// MemberID is the node's member ID in the coordination cluster.
func (n *Node) MemberID() uint64 { return n.coord.selfID }

// Stop asks a running node to shut down (as SHUTDOWN does).
func (n *Node) Stop() { n.stopOnce.Do(func() { close(n.stop) }) }

// Run opens the data directory, restores the keyspace, serves until ctx ends
// or Stop is called, then shuts down gracefully: stop accepting, let
// in-flight commands finish, sync the log, close.
func (n *Node) Run(ctx context.Context) error {
	maxmem, _ := config.ParseBytes(n.cfg.Cache.MaxMemory)
	ccfg := cache.DefaultConfig()
	ccfg.MaxMemory, ccfg.Policy = maxmem, n.cfg.Cache.MaxMemoryPolicy

	p, err := openPersistence(n.cfg, n.log, vfs.OS(), nil)
	if err != nil {
		return err
	}
	n.persist = p
	n.eng = cache.New(ccfg, p.journal(), n.log.With("service", "cache"))
	if err := p.restore(n.eng); err != nil {
		p.close()
		return err
	}

	rcfg := resp.DefaultConfig()
	rcfg.Addr = n.cfg.Cache.Addr
	rcfg.MaxClients = n.cfg.Cache.MaxClients
	rcfg.Timeout = time.Duration(n.cfg.Cache.Timeout) * time.Second
	rcfg.ProtectedMode = n.cfg.Cache.ProtectedMode
	if n.cfg.Cache.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.Cache.TLSCert, n.cfg.Cache.TLSKey)
		if err != nil {
			p.close()
			return fmt.Errorf("server: load TLS certificate: %w", err)
		}
		rcfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if err := rcfg.Validate(); err != nil {
		p.close()
		return err
	}
	n.resp = resp.NewServer(rcfg, n.eng, &host{n: n}, n.log.With("service", "resp"))
	n.resp.ACL().SetRequirePass(n.cfg.Cache.RequirePass)

	ln, err := net.Listen("tcp", n.cfg.Cache.Addr)
	if err != nil {
		p.close()
		return fmt.Errorf("server: cache listener: %w", err)
	}
	n.cacheAddr = ln.Addr()
	var hln net.Listener
	if n.cfg.HTTP.Addr != "" {
		hln, err = net.Listen("tcp", n.cfg.HTTP.Addr)
		if err != nil {
			ln.Close()
			p.close()
			return fmt.Errorf("server: http listener: %w", err)
		}
		n.httpAddr = hln.Addr()
	}
	if host, _, _ := net.SplitHostPort(n.cfg.Cache.Addr); !isLoopbackHost(host) && n.cfg.Cache.RequirePass == "" {
		n.log.Warn("the cache listens beyond loopback without a password: protected mode refuses non-loopback clients until requirepass is set", "addr", n.cfg.Cache.Addr)
	}

	n.coord, err = startCoordinator(n.cfg, n.log, n.opts)
	if err != nil {
		ln.Close()
		if hln != nil {
			hln.Close()
		}
		p.close()
		return err
	}
	n.etcdAddr = n.coord.etcdLn.Addr()
	if n.coord.peerLn != nil {
		n.peerAddr = n.coord.peerLn.Addr()
	}

	n.queue, err = startQueue(n.cfg, n.log, n.coord, n.opts.Queue)
	if err != nil {
		n.coord.stop()
		ln.Close()
		if hln != nil {
			hln.Close()
		}
		p.close()
		return err
	}

	bg, cancelBG := context.WithCancel(context.Background())
	n.goAttach(func() { n.eng.RunExpirer(bg) })
	n.goAttach(func() { p.run(bg, n.eng) })
	n.goAttach(func() { n.returnMemoryWhenIdle(bg, n.resp.CommandsProcessed) })
	serveErr := make(chan error, 4)
	n.goAttach(func() {
		if err := n.queue.serve(); err != nil && !errors.Is(err, kafka.ErrServerClosed) {
			serveErr <- err
		}
	})
	n.goAttach(func() {
		if err := n.coord.serve(); err != nil {
			serveErr <- err
		}
	})
	n.goAttach(func() {
		if err := n.resp.Serve(ln); err != nil && !errors.Is(err, resp.ErrServerClosed) {
			serveErr <- err
		}
	})
	if hln != nil {
		n.http = newHTTP(n)
		n.goAttach(func() {
			if err := n.http.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr <- err
			}
		})
	}
	n.log.Info("triad is ready", "cache", n.cacheAddr.String(), "etcd", n.EtcdAddr(), "kafka", n.KafkaAddr(), "peer", n.PeerAddr(), "member", fmt.Sprintf("%x", n.coord.selfID), "http", n.HTTPAddr(), "data", n.cfg.DataDir, "appendfsync", n.cfg.Cache.AppendFsync)
	close(n.ready)

	var runErr error
	select {
	case <-ctx.Done():
		n.log.Info("shutting down", "reason", "signal")
	case <-n.stop:
		n.log.Info("shutting down", "reason", "SHUTDOWN")
	case runErr = <-serveErr:
		n.log.Error("listener failed; shutting down", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), config.ShutdownGrace)
	defer cancel()
	if n.http != nil {
		_ = n.http.Shutdown(sctx)
	}
	if err := n.resp.Shutdown(sctx); err != nil {
		n.log.Warn("clients did not finish in time", "err", err)
	}
	if err := n.queue.stop(sctx); err != nil {
		n.log.Warn("kafka clients did not finish in time", "err", err)
	}
	if err := n.coord.stop(); err != nil {
		n.log.Warn("coordination service stopped with an error", "err", err)
	}
	cancelBG()
	n.wg.Wait()
	if err := p.close(); err != nil {
		return errors.Join(runErr, err)
	}
	n.log.Info("triad stopped")
	return runErr
}

// goAttach runs f on a goroutine that shutdown waits for.
func (n *Node) goAttach(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
