package etcdapi

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// etcdctl runs Debian's etcdctl (3.4) against addr.
func etcdctl(t *testing.T, addr, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "etcdctl", append([]string{"--endpoints=" + addr, "--dial-timeout=5s", "--command-timeout=5s"}, args...)...)
	cmd.Env = append(os.Environ(), "ETCDCTL_API=3")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("etcdctl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestEtcdctl(t *testing.T) {
	if _, err := exec.LookPath("etcdctl"); err != nil {
		t.Skip("etcdctl is not installed")
	}
	ts := newTestServer(t)

	if out := etcdctl(t, ts.addr, "", "put", "foo", "bar"); strings.TrimSpace(out) != "OK" {
		t.Fatalf("put: %q", out)
	}
	etcdctl(t, ts.addr, "", "put", "foo2", "baz")
	if out := etcdctl(t, ts.addr, "", "get", "--prefix", "foo"); out != "foo\nbar\nfoo2\nbaz\n" {
		t.Fatalf("get --prefix: %q", out)
	}
	if out := etcdctl(t, ts.addr, "", "del", "foo2"); strings.TrimSpace(out) != "1" {
		t.Fatalf("del: %q", out)
	}

	// watch from the revision of a put made first, so the event comes by
	// catch-up whenever the watch starts.
	etcdctl(t, ts.addr, "", "put", "w", "seen")
	rev := ts.b.store.Rev()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watch := exec.CommandContext(ctx, "etcdctl", "--endpoints="+ts.addr, "watch", "w", "--rev="+strconv.FormatInt(rev, 10))
	watch.Env = append(os.Environ(), "ETCDCTL_API=3")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var got []string
	for len(got) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("etcdctl watch ended after %q", got)
			}
			got = append(got, l)
		case <-ctx.Done():
			t.Fatalf("etcdctl watch printed only %q", got)
		}
	}
	if strings.Join(got, " ") != "PUT w seen" {
		t.Fatalf("etcdctl watch printed %q", got)
	}
	cancel()
	for range lines {
	}
	_ = watch.Wait()

	out := etcdctl(t, ts.addr, "", "lease", "grant", "60")
	m := regexp.MustCompile(`lease ([0-9a-f]+) granted with TTL\(60s\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("lease grant: %q", out)
	}
	id := m[1]
	if out := etcdctl(t, ts.addr, "", "lease", "keep-alive", "--once", id); !strings.Contains(out, "keepalived with TTL(60)") {
		t.Fatalf("keep-alive --once: %q", out)
	}
	if out := etcdctl(t, ts.addr, "", "lease", "revoke", id); !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q", out)
	}

	txn := "value(\"foo\") = \"bar\"\n\nput foo txn-ok\n\nput foo txn-failed\n\n"
	if out := etcdctl(t, ts.addr, txn, "txn"); !strings.HasPrefix(out, "SUCCESS") {
		t.Fatalf("txn: %q", out)
	}
	if out := etcdctl(t, ts.addr, "", "get", "foo", "--print-value-only"); out != "txn-ok\n" {
		t.Fatalf("after txn: %q", out)
	}

	if out := etcdctl(t, ts.addr, "", "endpoint", "status"); !strings.Contains(out, ts.addr) || !strings.Contains(out, "3.5.0") {
		t.Fatalf("endpoint status: %q", out)
	}
	if out := etcdctl(t, ts.addr, "", "member", "list"); !strings.Contains(out, "n1") || !strings.Contains(out, ts.url) {
		t.Fatalf("member list: %q", out)
	}
}
