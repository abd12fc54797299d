package clustertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"triad/internal/config"
	"triad/internal/coord"
	"triad/internal/server"
	"triad/internal/transport"
	"triad/internal/transport/memnet"
)

// Cluster is N complete Triad nodes in this process, each with its own data
// directory and real listeners on loopback port 0, joined by an in-memory
// peer network that the test can cut.
type Cluster struct {
	t     testing.TB
	net   *memnet.Network
	nodes []*Node
}

// Node is one member. Its data directory survives Stop, so Start restarts
// it from its own data.
type Node struct {
	c    *Cluster
	Name string
	ID   uint64 // member ID (also its raft node ID)
	cfg  config.Config

	mu     sync.Mutex
	srv    *server.Node
	cancel context.CancelFunc
	done   chan error
}

// Options tune a cluster.
type Options struct {
	// HeartbeatMs and ElectionMs default to 50 and 1000: a fast heartbeat
	// for quick tests, an election timeout generous enough for -race on a
	// loaded 2-core machine.
	HeartbeatMs, ElectionMs int
}

// New starts an n-node cluster and waits until it has a leader. Cleanup
// stops every node.
func New(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	if opts.HeartbeatMs == 0 {
		opts.HeartbeatMs = 50
	}
	if opts.ElectionMs == 0 {
		opts.ElectionMs = 1000
	}
	c := &Cluster{t: t, net: memnet.New()}
	dir := t.TempDir()
	var members []string
	for i := range n {
		// The peer address only names the node (the memory network
		// ignores it); the member ID derives from it.
		members = append(members, fmt.Sprintf("n%d=n%d.memnet:7380", i+1, i+1))
	}
	for i := range n {
		cfg := config.Default()
		cfg.DataDir = filepath.Join(dir, fmt.Sprintf("n%d", i+1))
		cfg.Cache.Addr, cfg.HTTP.Addr = "127.0.0.1:0", ""
		cfg.Coord.Name = fmt.Sprintf("n%d", i+1)
		cfg.Coord.Addr, cfg.Queue.Addr = "127.0.0.1:0", "127.0.0.1:0"
		cfg.Queue.BrokerID = i + 1
		cfg.Coord.PeerAddr = fmt.Sprintf("n%d.memnet:7380", i+1)
		cfg.Coord.InitialCluster = strings.Join(members, ",")
		cfg.Coord.HeartbeatInterval, cfg.Coord.ElectionTimeout = opts.HeartbeatMs, opts.ElectionMs
		nd := &Node{c: c, Name: cfg.Coord.Name, ID: coord.MemberID(cfg.Coord.PeerAddr), cfg: cfg}
		c.nodes = append(c.nodes, nd)
	}
	t.Cleanup(c.StopAll)
	for _, nd := range c.nodes {
		nd.Start()
	}
	c.Leader()
	return c
}

func logger(name string) *slog.Logger {
	if os.Getenv("CLUSTERTEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// AddNode prepares (does not start) one more node that joins the running
// cluster with --initial-cluster-state existing, after the test added it
// with MemberAdd (its peer URL is PeerURL). Its --initial-cluster lists
// every node, itself included, as etcd's member add output says.
func (c *Cluster) AddNode() *Node {
	i := len(c.nodes)
	base := c.nodes[0].cfg
	cfg := base
	cfg.DataDir = filepath.Join(filepath.Dir(base.DataDir), fmt.Sprintf("n%d", i+1))
	cfg.Cache.Addr, cfg.Coord.Addr, cfg.Queue.Addr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.Queue.BrokerID = i + 1
	cfg.Coord.Name = fmt.Sprintf("n%d", i+1)
	cfg.Coord.PeerAddr = fmt.Sprintf("n%d.memnet:7380", i+1)
	cfg.Coord.InitialCluster = base.Coord.InitialCluster + fmt.Sprintf(",n%d=%s", i+1, cfg.Coord.PeerAddr)
	cfg.Coord.InitialClusterState = "existing"
	nd := &Node{c: c, Name: cfg.Coord.Name, ID: coord.MemberID(cfg.Coord.PeerAddr), cfg: cfg}
	c.nodes = append(c.nodes, nd)
	return nd
}

// KafkaAddr is the node's Kafka listener (kept across restarts).
func (nd *Node) KafkaAddr() string {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cfg.Queue.Addr
}

// PeerURL is the URL MemberAdd takes for this node.
func (nd *Node) PeerURL() string { return "http://" + nd.cfg.Coord.PeerAddr }

// Nodes returns every member, running or not.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// Node returns member i (0-based).
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// Start runs the node (again) from its data directory and waits until it
// serves.
func (nd *Node) Start() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv != nil {
		return
	}
	srv, err := server.NewWithOptions(nd.cfg, logger(nd.Name), server.Options{
		PeerNetwork: func(id uint64, to transport.Endpoint) transport.Transport {
			return nd.c.net.NewNode(id, to, to)
		},
	})
	if err != nil {
		nd.c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		cancel()
		nd.c.t.Fatalf("%s did not start: %v", nd.Name, err)
	}
	nd.srv, nd.cancel, nd.done = srv, cancel, done
	// A restart keeps the ports the node first got, so clients that know
	// its address find it again.
	nd.cfg.Coord.Addr, nd.cfg.Cache.Addr, nd.cfg.Queue.Addr = srv.EtcdAddr(), srv.CacheAddr(), srv.KafkaAddr()
}

// Stop shuts the node down (in-flight requests finish or fail) and waits.
func (nd *Node) Stop() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv == nil {
		return
	}
	nd.cancel()
	if err := <-nd.done; err != nil {
		nd.c.t.Errorf("%s stopped with %v", nd.Name, err)
	}
	nd.srv = nil
}

// Running reports whether the node is started.
func (nd *Node) Running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.srv != nil
}

// Endpoint is the node's etcd address (running nodes only).
func (nd *Node) Endpoint() string {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv == nil {
		return ""
	}
	return nd.srv.EtcdAddr()
}

// StopAll stops every running node.
func (c *Cluster) StopAll() {
	var wg sync.WaitGroup
	for _, nd := range c.nodes {
		wg.Go(nd.Stop)
	}
	wg.Wait()
}

// Isolate cuts the node off from every other node.
func (c *Cluster) Isolate(nd *Node) { c.net.Isolate(nd.ID) }

// Partition cuts the link between a and b.
func (c *Cluster) Partition(a, b *Node) { c.net.Partition(a.ID, b.ID) }

// Heal restores every link.
func (c *Cluster) Heal() { c.net.Heal() }

// Leader waits (up to 20 s) until a running node reports itself leader
// and every running node knows the leader's client URL (so it can forward
// writes to it), and returns the leader.
func (c *Cluster) Leader() *Node {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ld := c.settledLeader(); ld != nil {
			return ld
		}
		if time.Now().After(deadline) {
			c.t.Fatal("no leader within 20s")
		}
		<-time.After(20 * time.Millisecond)
	}
}

func (c *Cluster) settledLeader() *Node {
	var ld *Node
	for _, nd := range c.nodes {
		if ep := nd.Endpoint(); ep != "" && nd.isLeader(ep) {
			ld = nd
		}
	}
	if ld == nil {
		return nil
	}
	for _, nd := range c.nodes {
		ep := nd.Endpoint()
		if ep == "" {
			continue
		}
		if !knowsClientURL(ep, ld.ID) {
			return nil
		}
	}
	return ld
}

func (nd *Node) isLeader(ep string) bool {
	cli, err := newClient([]string{ep})
	if err != nil {
		return false
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := cli.Status(ctx, ep)
	return err == nil && st.Leader == nd.ID && st.Header.MemberId == nd.ID
}

// knowsClientURL asks the node at ep (from its own state) whether member
// id has published a client URL.
func knowsClientURL(ep string, id uint64) bool {
	cli, err := newClient([]string{ep})
	if err != nil {
		return false
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ml, err := cli.MemberList(ctx, clientv3.WithSerializable())
	if err != nil {
		return false
	}
	for _, m := range ml.Members {
		if m.ID == id && len(m.ClientURLs) > 0 {
			return true
		}
	}
	return false
}

// Client returns a clientv3 client for the given nodes (all running nodes
// if none), closed at cleanup.
func (c *Cluster) Client(nodes ...*Node) *clientv3.Client {
	c.t.Helper()
	if len(nodes) == 0 {
		nodes = c.nodes
	}
	var eps []string
	for _, nd := range nodes {
		if ep := nd.Endpoint(); ep != "" {
			eps = append(eps, ep)
		}
	}
	cli, err := newClient(eps)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cli.Close() })
	return cli
}

func newClient(eps []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints: slices.Clone(eps), DialTimeout: 5 * time.Second,
		Logger: zap.NewNop(),
	})
}
