package resp

import (
	"strings"
	"testing"
)

func TestMonitorSeesOtherClientsCommands(t *testing.T) {
	_, addr := startServer(t, nil)
	mon, c := dial(t, addr), dial(t, addr)
	mon.expect("+OK\r\n", "MONITOR")
	c.expect("+OK\r\n", "SET", "k", "v v")
	line := mon.reply()
	if !strings.HasPrefix(line, "+") || !strings.Contains(line, `"SET" "k" "v v"`) || !strings.Contains(line, "[0 127.0.0.1:") {
		t.Errorf("monitor line %q", line)
	}
}

func TestClientCommands(t *testing.T) {
	_, addr := startServer(t, nil)
	a, b := dial(t, addr), dial(t, addr)
	a.expect("+OK\r\n", "CLIENT", "SETNAME", "alpha")
	a.expect("$5\r\nalpha\r\n", "CLIENT", "GETNAME")
	a.expect("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETNAME", "a b")
	a.cmd("CLIENT", "ID")
	id := strings.TrimSuffix(strings.TrimPrefix(a.reply(), ":"), "\r\n")
	b.cmd("CLIENT", "LIST")
	list := b.reply()
	if !strings.Contains(list, "id="+id+" ") || !strings.Contains(list, "name=alpha") {
		t.Errorf("CLIENT LIST %q lacks client %s", list, id)
	}
	b.expect(":1\r\n", "CLIENT", "KILL", "ID", id)
	if _, err := a.br.ReadByte(); err == nil {
		t.Error("killed client still connected")
	}
	b.expect("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "go-redis")
	b.expect("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n", "CLIENT", "NOPE")
}

func TestCommandAndConfig(t *testing.T) {
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	c.cmd("COMMAND", "INFO", "get")
	if got := c.reply(); !strings.Contains(got, "$3\r\nget\r\n:2\r\n") || !strings.Contains(got, "readonly") {
		t.Errorf("COMMAND INFO get: %q", got)
	}
	c.expect("*1\r\n$1\r\nk\r\n", "COMMAND", "GETKEYS", "SET", "k", "v")
	c.expect("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "CONFIG", "GET", "maxmemory")
	c.expect("+OK\r\n", "CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru")
	c.expect("*6\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n", "CONFIG", "GET", "maxmemory*")
	c.expect("-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n", "CONFIG", "SET", "nope", "1")
	c.expect("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl\r\n", "CONFIG", "SET", "maxmemory-policy", "lru")
	c.cmd("INFO", "keyspace", "memory")
	if got := c.reply(); !strings.Contains(got, "# Memory") || !strings.Contains(got, "maxmemory_policy:allkeys-lru") {
		t.Errorf("INFO: %q", got)
	}
	c.cmd("TIME")
	if got := c.reply(); !strings.HasPrefix(got, "*2\r\n$10\r\n") {
		t.Errorf("TIME: %q", got)
	}
	c.expect("*0\r\n", "SLOWLOG", "GET")
	c.expect(":0\r\n", "WAIT", "0", "0")
}
