package resp

import (
	"context"
	"net"
	"testing"
	"time"

	"triad/internal/cache"
)

// nonLoopbackIP is an IPv4 address of this machine outside 127/8, if any.
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	return nil
}

func startWildcardServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := NewServer(DefaultConfig(), cache.New(cache.DefaultConfig(), nil, nil), nopHost{}, nil)
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = s.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return s, port
}

func TestProtectedModeRefusesNonLoopback(t *testing.T) {
	ip := nonLoopbackIP(t)
	if ip == nil {
		t.Skip("no non-loopback address on this machine; TestProtectedModeAddressClassification covers the rule")
	}
	s, port := startWildcardServer(t)
	ext := net.JoinHostPort(ip.String(), port)

	c := dial(t, ext)
	c.cmd("PING")
	if got := c.reply(); got != "-"+protectedModeMsg+"\r\n" {
		t.Errorf("non-loopback client: %q", got)
	}
	if _, err := c.br.ReadByte(); err == nil {
		t.Error("non-loopback client not closed")
	}

	// Loopback clients are served.
	lo := dial(t, net.JoinHostPort("127.0.0.1", port))
	lo.expect("+PONG\r\n", "PING")

	// With a password for the default user, non-loopback clients are let in
	// (and must authenticate).
	s.ACL().SetRequirePass("pw")
	c2 := dial(t, ext)
	c2.expect("-NOAUTH Authentication required.\r\n", "PING")
	c2.expect("+OK\r\n", "AUTH", "pw")
	c2.expect("+PONG\r\n", "PING")

	// CONFIG SET protected-mode no lets them in without a password.
	s.ACL().SetRequirePass("")
	lo.expect("+OK\r\n", "CONFIG", "SET", "protected-mode", "no")
	c3 := dial(t, ext)
	c3.expect("+PONG\r\n", "PING")
}

func TestProtectedModeAddressClassification(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, true},
		{&net.TCPAddr{IP: net.IPv4(127, 1, 2, 3)}, true},
		{&net.TCPAddr{IP: net.IPv6loopback}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 2)}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}, false},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, true},
	} {
		if got := isLoopback(tc.addr); got != tc.want {
			t.Errorf("isLoopback(%v) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}
