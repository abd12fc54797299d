package resp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// selfSigned returns a server certificate for 127.0.0.1 and the PEM of the
// certificate (its own CA).
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "triad-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM
}

func startTLSServer(t *testing.T) (addr string, caPEM []byte) {
	t.Helper()
	cert, caPEM := selfSigned(t)
	_, addr = startServer(t, func(c *Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	})
	return addr, caPEM
}

func TestTLSGoRedis(t *testing.T) {
	addr, caPEM := startTLSServer(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// A plain-text client on the TLS port fails (the server sees a bad TLS
	// handshake and closes), and other clients are unaffected.
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	for {
		n, err := nc.Read(buf)
		if strings.Contains(string(buf[:n]), "PONG") {
			t.Fatal("plain-text client got a RESP reply on the TLS port")
		}
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("plain-text client not closed")
			}
			break
		}
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET after plain-text client: %q %v", v, err)
	}
	rdb2 := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	defer rdb2.Close()
	if v, err := rdb2.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET from a second TLS client: %q %v", v, err)
	}
	// Without the CA the client refuses the server.
	untrusting := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{ServerName: "127.0.0.1"}, MaxRetries: -1})
	defer untrusting.Close()
	if err := untrusting.Ping(ctx).Err(); err == nil {
		t.Error("client without the CA connected")
	}
}

func TestTLSRedisCli(t *testing.T) {
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	if out, _ := exec.Command(cli, "--help").CombinedOutput(); !strings.Contains(string(out), "--tls") {
		t.Skip("this redis-cli was built without TLS support")
	}
	addr, caPEM := startTLSServer(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		full := append([]string{"--tls", "--cacert", ca, "-h", host, "-p", port}, args...)
		out, err := exec.CommandContext(ctx, cli, full...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("SET", "tk", "tv"); got != "OK" {
		t.Errorf("SET: %q", got)
	}
	if got := run("GET", "tk"); got != "tv" {
		t.Errorf("GET: %q", got)
	}
}
