package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"triad/internal/config"
)

// writePEM writes a DER block as a PEM file and returns its path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// peerPKI makes a CA and one certificate per node (for 127.0.0.1, usable as
// server and client) and returns the CA path and each node's cert and key.
func peerPKI(t *testing.T, dir string, nodes int) (ca string, certs, keys []string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "triad test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca = writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER)
	for i := range nodes {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: fmt.Sprintf("n%d", i+1)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, writePEM(t, dir, fmt.Sprintf("n%d.pem", i+1), "CERTIFICATE", der))
		keys = append(keys, writePEM(t, dir, fmt.Sprintf("n%d-key.pem", i+1), "EC PRIVATE KEY", kder))
	}
	return ca, certs, keys
}

// TestThreeNodesOverMutualTLS forms a three-node cluster whose peers talk
// over real TCP with --peer-tls-*: a write through one node is read back
// linearizably through another.
func TestThreeNodesOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, certs, keys := peerPKI(t, dir, 3)
	// Peer addresses must be known up front (they are the members'
	// identities): reserve three ports on loopback.
	var peers []string
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, ln.Addr().String())
		ln.Close()
	}
	var members []string
	for i, p := range peers {
		members = append(members, fmt.Sprintf("n%d=%s", i+1, p))
	}
	// A node is ready before the cluster has formed, so they start in turn.
	var nodes []*Node
	for i := range 3 {
		n, _ := startNode(t, filepath.Join(dir, fmt.Sprint(i)), func(c *config.Config) {
			c.Coord.Name = fmt.Sprintf("n%d", i+1)
			c.Coord.PeerAddr = peers[i]
			c.Coord.InitialCluster = strings.Join(members, ",")
			c.Coord.PeerTLSCert, c.Coord.PeerTLSKey, c.Coord.PeerTLSCA = certs[i], keys[i], ca
		})
		nodes = append(nodes, n)
	}
	client := func(n *Node) *clientv3.Client {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{n.EtcdAddr()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		return cli
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client(nodes[0]).Put(ctx, "over-tls", "yes"); err != nil {
		t.Fatal(err)
	}
	r, err := client(nodes[2]).Get(ctx, "over-tls")
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "yes" {
		t.Fatalf("read through another node: %v %v", r, err)
	}
	ml, err := client(nodes[1]).MemberList(ctx)
	if err != nil || len(ml.Members) != 3 {
		t.Fatalf("member list: %v %v", ml, err)
	}
}
