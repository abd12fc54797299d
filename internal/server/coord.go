package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"triad/internal/config"
	"triad/internal/coord"
	"triad/internal/etcdapi"
	"triad/internal/raft"
	"triad/internal/transport"
)

// coordinator is the coordination side of a node: the peer transport, the
// raft host, the coordination service on it and the etcd front-end.
// Start order: peer listener → transport → host → service (group created,
// restored from disk) → etcd listener. Stop runs in reverse.
type coordinator struct {
	log    *slog.Logger
	tr     transport.Transport
	host   *raft.Host
	svc    *coord.Service
	api    *etcdapi.Server
	peerLn net.Listener
	etcdLn net.Listener
	selfID uint64
}

// clusterID derives the cluster's ID from its token: equal on every member,
// so peers of another cluster are refused at the transport handshake.
func clusterID(token string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("triad-cluster/" + token))
	return h.Sum64() | 1
}

func startCoordinator(cfg config.Config, log *slog.Logger, opts Options) (_ *coordinator, err error) {
	cc := cfg.Coord
	members, err := cc.Members()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	c := &coordinator{log: log, selfID: coord.MemberID(cc.AdvertisedPeer())}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	cid := clusterID(cc.InitialClusterToken)
	relay := &transport.Relay{}
	if opts.PeerNetwork != nil {
		c.tr = opts.PeerNetwork(c.selfID, relay)
	} else {
		serverTLS, clientTLS, err := peerTLS(cc)
		if err != nil {
			return nil, err
		}
		tcp, err := transport.New(transport.Config{
			NodeID: c.selfID, ClusterID: cid, Handler: relay, Reporter: relay,
			ServerTLS: serverTLS, ClientTLS: clientTLS, Logger: log.With("component", "transport"),
		})
		if err != nil {
			return nil, fmt.Errorf("server: peer transport: %w", err)
		}
		c.tr = tcp
		c.peerLn, err = net.Listen("tcp", cc.PeerAddr)
		if err != nil {
			return nil, fmt.Errorf("server: peer listener: %w", err)
		}
		go func() {
			if err := tcp.Serve(c.peerLn); err != nil {
				log.Debug("peer listener stopped", "err", err)
			}
		}()
	}
	var peers []uint64
	for _, m := range members {
		id := coord.MemberID(m.PeerAddr)
		peers = append(peers, id)
		if id != c.selfID {
			c.tr.AddPeer(id, m.PeerAddr)
		}
	}
	if cc.InitialClusterState == "existing" {
		peers = nil // the leader adds this node (MemberAdd) and sends it the state
	}
	c.host, err = raft.NewHost(raft.Config{
		NodeID: c.selfID, Dir: filepath.Join(cfg.DataDir, "raft"), Transport: c.tr,
		TickInterval:  time.Duration(cc.HeartbeatInterval) * time.Millisecond,
		ElectionTicks: cc.ElectionTimeout / cc.HeartbeatInterval,
		Logger:        log.With("component", "raft"),
	})
	if err != nil {
		return nil, fmt.Errorf("server: raft: %w", err)
	}
	relay.Set(c.host)
	// The etcd listener opens before the service so that, with port 0 and
	// no advertised URL, the member publishes the port it really has.
	c.etcdLn, err = net.Listen("tcp", cc.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: etcd listener: %w", err)
	}
	clientURLs := cc.ClientURLs()
	if cc.AdvertiseClientURLs == "" {
		clientURLs = []string{"http://" + c.etcdLn.Addr().String()}
	}
	self := &pb.Member{ID: c.selfID, Name: cc.Name, PeerURLs: []string{"http://" + cc.AdvertisedPeer()}, ClientURLs: clientURLs}
	c.svc, err = coord.NewService(coord.ServiceConfig{
		Host: c.host, Self: self, Peers: peers, ClusterID: cid,
		AutoCompactRevisions: int64(cc.AutoCompactionRetention),
		Store: coord.Config{
			// etcd's minimum lease TTL: 1.5 election timeouts, rounded up.
			MinLeaseTTL: max(2, int64((3*cc.ElectionTimeout+1999)/2000)),
		},
		OnMember: func(m *pb.Member) {
			if m.ID != c.selfID && len(m.PeerURLs) > 0 {
				c.tr.AddPeer(m.ID, coord.PeerHostPort(m.PeerURLs[0]))
			}
		},
		OnRemoved: func(id uint64) {
			if id != c.selfID {
				c.tr.RemovePeer(id)
			}
		},
		PublishVia: func(ctx context.Context, leader, self *pb.Member) error {
			return c.api.PublishVia(ctx, leader, self)
		},
		Logger: log.With("service", "coord"),
	})
	if err != nil {
		return nil, fmt.Errorf("server: coordination service: %w", err)
	}
	if len(peers) == 1 && peers[0] == c.selfID {
		// The only voter: lead now rather than after an election timeout.
		if err := c.host.Campaign(coord.DefaultGroupID); err != nil {
			log.Warn("coordination: campaign", "err", err)
		}
	}
	c.api, err = etcdapi.New(etcdapi.Config{Logger: log.With("service", "etcdapi")}, c.svc)
	if err != nil {
		return nil, fmt.Errorf("server: etcd API: %w", err)
	}
	return c, nil
}

// serve runs the etcd front-end until stop.
func (c *coordinator) serve() error {
	return c.api.Serve(c.etcdLn)
}

// stop shuts the coordinator down in reverse start order. In-flight etcd
// requests finish (GracefulStop) while raft still runs.
func (c *coordinator) stop() error {
	if c.api != nil {
		done := make(chan struct{})
		go func() { c.api.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(config.ShutdownGrace):
			c.api.Stop()
		}
	} else if c.etcdLn != nil {
		c.etcdLn.Close()
	}
	var errs []error
	if c.svc != nil {
		errs = append(errs, c.svc.Close())
	}
	if c.host != nil {
		errs = append(errs, c.host.Close())
	}
	if c.tr != nil {
		errs = append(errs, c.tr.Close())
	}
	return errors.Join(errs...)
}

// peerTLS builds the mutual-TLS configurations from --peer-tls-*: each node
// presents its certificate and requires the other's, signed by the CA.
func peerTLS(cc config.Coord) (server, client *tls.Config, err error) {
	if cc.PeerTLSCert == "" {
		return nil, nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cc.PeerTLSCert, cc.PeerTLSKey)
	if err != nil {
		return nil, nil, fmt.Errorf("server: peer TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(cc.PeerTLSCA)
	if err != nil {
		return nil, nil, fmt.Errorf("server: peer TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("server: peer TLS CA %s: no certificate found", cc.PeerTLSCA)
	}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}
