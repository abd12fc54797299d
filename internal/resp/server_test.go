package resp

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"triad/internal/cache"
)

type nopHost struct{}

func (nopHost) Save() error             { return nil }
func (nopHost) BGSave() error           { return nil }
func (nopHost) LastSave() time.Time     { return time.Unix(0, 0) }
func (nopHost) Params() []Param         { return nil }
func (nopHost) Info(string) [][2]string { return nil }
func (nopHost) Shutdown(bool)           {}

func startServer(t *testing.T, mod func(*Config)) (*Server, string) {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	s := NewServer(cfg, cache.New(cache.DefaultConfig(), nil, nil), nopHost{}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
	return s, ln.Addr().String()
}

// client is a raw RESP client for exact-bytes tests.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// cmd sends args as a multibulk request.
func (c *client) cmd(args ...string) {
	c.t.Helper()
	var b strings.Builder
	b.WriteString("*" + itoa(int64(len(args))) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + itoa(int64(len(a))) + "\r\n" + a + "\r\n")
	}
	c.send(b.String())
}

// reply reads one complete reply and returns its raw bytes.
func (c *client) reply() string {
	c.t.Helper()
	var b strings.Builder
	c.readValue(&b)
	return b.String()
}

func (c *client) readValue(b *strings.Builder) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (so far %q)", err, b.String())
	}
	b.WriteString(line)
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=':
		n := atoiT(c.t, body)
		if n < 0 {
			return
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.br, buf); err != nil {
			c.t.Fatal(err)
		}
		b.Write(buf)
	case '*', '~', '>':
		for i := 0; i < atoiT(c.t, body); i++ {
			c.readValue(b)
		}
	case '%':
		for i := 0; i < 2*atoiT(c.t, body); i++ {
			c.readValue(b)
		}
	}
}

func atoiT(t *testing.T, s string) int {
	n, ok := parseInt([]byte(s))
	if !ok {
		t.Fatalf("bad length %q", s)
	}
	return int(n)
}

func (c *client) expect(want string, args ...string) {
	c.t.Helper()
	c.cmd(args...)
	if got := c.reply(); got != want {
		c.t.Errorf("%v: got %q, want %q", args, got, want)
	}
}

func TestUnknownCommandAndArity(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	c.expect("-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", "foo", "a", "b")
	c.expect("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	c.expect("+PONG\r\n", "PING")
	c.send("PING\r\n")
	if got := c.reply(); got != "+PONG\r\n" {
		t.Errorf("inline PING: %q", got)
	}
}

func TestProtocolErrorClosesOnlyThatConnection(t *testing.T) {
	_, addr := startServer(t, nil)
	good := dial(t, addr)
	good.expect("+OK\r\n", "SET", "k", "v")
	bad := dial(t, addr)
	bad.send("*1\r\n$-7\r\n")
	if got := bad.reply(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Errorf("got %q", got)
	}
	if _, err := bad.br.ReadByte(); err != io.EOF {
		t.Errorf("connection not closed after protocol error: %v", err)
	}
	good.expect("$1\r\nv\r\n", "GET", "k")
}

func TestHelloAndResp3(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	c.cmd("HELLO", "3")
	if got := c.reply(); !strings.HasPrefix(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n") || !strings.Contains(got, "$5\r\nproto\r\n:3\r\n") {
		t.Errorf("HELLO 3: %q", got)
	}
	c.expect("_\r\n", "GET", "missing")
	c.expect("-NOPROTO unsupported protocol version\r\n", "HELLO", "4")
	c.expect("+RESET\r\n", "RESET")
	c.expect("$-1\r\n", "GET", "missing")
}

func TestAuth(t *testing.T) {
	s, addr := startServer(t, nil)
	s.ACL().SetRequirePass("secret")
	c := dial(t, addr)
	c.expect("-NOAUTH Authentication required.\r\n", "GET", "k")
	c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "nope")
	c.expect("+OK\r\n", "AUTH", "secret")
	c.expect("$-1\r\n", "GET", "k")
	c2 := dial(t, addr)
	c2.cmd("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me")
	if got := c2.reply(); !strings.HasPrefix(got, "%7") {
		t.Errorf("HELLO AUTH: %q", got)
	}
	c2.expect("$2\r\nme\r\n", "CLIENT", "GETNAME")
}

func TestMultiExecWatch(t *testing.T) {
	_, addr := startServer(t, nil)
	a, b := dial(t, addr), dial(t, addr)
	a.expect("+OK\r\n", "MULTI")
	a.expect("+QUEUED\r\n", "SET", "x", "1")
	a.expect("+QUEUED\r\n", "GET", "x")
	a.expect("*2\r\n+OK\r\n$1\r\n1\r\n", "EXEC")

	a.expect("+OK\r\n", "WATCH", "x")
	b.expect("+OK\r\n", "SET", "x", "2")
	a.expect("+OK\r\n", "MULTI")
	a.expect("+QUEUED\r\n", "SET", "x", "3")
	a.expect("*-1\r\n", "EXEC")
	b.expect("$1\r\n2\r\n", "GET", "x")

	a.expect("+OK\r\n", "MULTI")
	a.expect("-ERR unknown command 'NOPE', with args beginning with: \r\n", "NOPE")
	a.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
	a.expect("-ERR EXEC without MULTI\r\n", "EXEC")
	a.expect("-ERR DISCARD without MULTI\r\n", "DISCARD")
}

func TestPubSubResp2AndResp3(t *testing.T) {
	_, addr := startServer(t, nil)
	sub2, sub3, pub := dial(t, addr), dial(t, addr), dial(t, addr)
	sub2.expect("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "SUBSCRIBE", "ch")
	sub3.cmd("HELLO", "3")
	sub3.reply()
	sub3.expect(">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:1\r\n", "PSUBSCRIBE", "c*")
	pub.expect(":2\r\n", "PUBLISH", "ch", "hi")
	if got := sub2.reply(); got != "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n" {
		t.Errorf("RESP2 message: %q", got)
	}
	if got := sub3.reply(); got != ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n" {
		t.Errorf("RESP3 pmessage: %q", got)
	}
	sub2.expect("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "GET", "k")
	sub2.expect("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING")
	sub3.expect("_\r\n", "GET", "k") // RESP3 subscribers may run any command
	pub.expect("*1\r\n$2\r\nch\r\n", "PUBSUB", "CHANNELS")
	pub.expect("*2\r\n$2\r\nch\r\n:1\r\n", "PUBSUB", "NUMSUB", "ch")
	pub.expect(":1\r\n", "PUBSUB", "NUMPAT")
	sub2.expect("*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n", "UNSUBSCRIBE")
}

func TestMaxClients(t *testing.T) {
	_, addr := startServer(t, func(c *Config) { c.MaxClients = 1 })
	a := dial(t, addr)
	a.expect("+PONG\r\n", "PING")
	b := dial(t, addr)
	line, _ := b.br.ReadString('\n')
	if line != "-ERR max number of clients reached\r\n" {
		t.Errorf("got %q", line)
	}
}

func TestIdleTimeoutClosesClient(t *testing.T) {
	_, addr := startServer(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	c := dial(t, addr)
	c.expect("+PONG\r\n", "PING")
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Errorf("idle client not closed: %v", err)
	}
}

func TestUnauthenticatedLimits(t *testing.T) {
	s, addr := startServer(t, nil)
	s.ACL().SetRequirePass("pw")
	c := dial(t, addr)
	c.cmd("SET", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k")
	if got := c.reply(); got != "-ERR Protocol error: unauthenticated multibulk length\r\n" {
		t.Errorf("got %q", got)
	}
}
