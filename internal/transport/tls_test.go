package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "triad test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// nodeCert issues a certificate for 127.0.0.1 usable as server and client.
func (ca *testCA) nodeCert(t *testing.T, name string, serial int64) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (ca *testCA) configs(cert tls.Certificate) (server, client *tls.Config) {
	server = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.pool,
		MinVersion:   tls.VersionTLS13,
	}
	client = &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      ca.pool,
		MinVersion:   tls.VersionTLS13,
	}
	return server, client
}

func TestMutualTLS(t *testing.T) {
	ca := newTestCA(t)
	sa, ca1 := ca.configs(ca.nodeCert(t, "node1", 2))
	sb, cb := ca.configs(ca.nodeCert(t, "node2", 3))
	a := startNode(t, Config{NodeID: 1, ServerTLS: sa, ClientTLS: ca1}, nil)
	b := startNode(t, Config{NodeID: 2, ServerTLS: sb, ClientTLS: cb}, nil)
	a.t.AddPeer(2, b.addr)
	b.t.AddPeer(1, a.addr)
	sendUntil(t, a, 2, b.rec, func() bool { return len(b.rec.batches) > 0 })
	sendUntil(t, b, 1, a.rec, func() bool { return len(a.rec.batches) > 0 })
	a.t.SendSnapshot(2, Envelope{Group: 1, Msg: snapMsg(2)}, io.NopCloser(io.LimitReader(zeroReader{}, 3<<20)))
	a.rec.waitFor(t, "snapshot status", func() bool { return len(a.rec.snapStatus) == 1 })
	if err := a.rec.snapStatus[0]; err != nil {
		t.Fatalf("snapshot over TLS: %v", err)
	}

	// A node without a client certificate is refused by the TLS layer.
	_, noCert := ca.configs(tls.Certificate{})
	noCert.Certificates = nil
	c := startNode(t, Config{NodeID: 3, ClientTLS: noCert}, nil)
	c.t.AddPeer(2, b.addr)
	c.t.Send(2, Envelope{Group: 1, Msg: msg(raftpb.MsgHeartbeat, 2, 1)})
	c.rec.waitFor(t, "unreachable", func() bool { return c.rec.unreachable[[2]uint64{2, 1}] > 0 })
	b.waitLog(t, "certificate")

	// A plain-TCP node cannot talk to a TLS listener either.
	d := startNode(t, Config{NodeID: 4}, nil)
	d.t.AddPeer(2, b.addr)
	d.t.Send(2, Envelope{Group: 1, Msg: msg(raftpb.MsgHeartbeat, 2, 1)})
	d.rec.waitFor(t, "unreachable", func() bool { return d.rec.unreachable[[2]uint64{2, 1}] > 0 })
}
