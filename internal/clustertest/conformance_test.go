package clustertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// TestConformanceEtcdOneNode drives a one-member cluster — `triad` as it
// runs alone — with etcd's own clients: Debian's etcdctl 3.4 (outputs
// compared with what etcd 3.4.23 prints for the same commands) and clientv3
// with its concurrency recipes.
func TestConformanceEtcdOneNode(t *testing.T) {
	c := New(t, 1, Options{})
	nd := c.Leader()
	ep := nd.Endpoint()
	want := etcdCluster{leader: nd.ID, clientURLs: map[string]string{nd.Name: "http://" + ep}}
	cli := c.Client()
	t.Run("etcdctl", func(t *testing.T) { etcdctlConformance(t, cli, []string{ep}, "/ctl/", want) })
	t.Run("clientv3", func(t *testing.T) { clientConformance(t, cli, "/cli/") })
}

// TestConformanceEtcdCluster runs the same checks against three nodes:
// through a follower (which forwards writes to the leader), through the
// leader, and etcdctl with all three endpoints.
func TestConformanceEtcdCluster(t *testing.T) {
	c := New(t, 3, Options{})
	ld := c.Leader()
	var follower *Node
	var all []string
	want := etcdCluster{leader: ld.ID, clientURLs: map[string]string{}}
	for _, nd := range c.Nodes() {
		if nd != ld {
			follower = nd
		}
		all = append(all, nd.Endpoint())
		want.clientURLs[nd.Name] = "http://" + nd.Endpoint()
	}
	t.Run("follower", func(t *testing.T) {
		cli := c.Client(follower)
		t.Run("etcdctl", func(t *testing.T) { etcdctlConformance(t, cli, []string{follower.Endpoint()}, "/f/ctl/", want) })
		t.Run("clientv3", func(t *testing.T) { clientConformance(t, cli, "/f/cli/") })
	})
	t.Run("leader", func(t *testing.T) { clientConformance(t, c.Client(ld), "/l/cli/") })
	t.Run("all", func(t *testing.T) { etcdctlConformance(t, c.Client(), all, "/a/ctl/", want) })
}

// etcdCluster is what endpoint status and member list must report: the
// raft leader's member ID and each member's name → client URL.
type etcdCluster struct {
	leader     uint64
	clientURLs map[string]string
}

// etcdctlConformance runs etcdctl's commands against eps, keys under p; cli
// (on the same cluster) plays the other party in the lock and election
// checks.
func etcdctlConformance(t *testing.T, cli *clientv3.Client, eps []string, p string, want etcdCluster) {
	if _, err := exec.LookPath("etcdctl"); err != nil {
		t.Skip("etcdctl is not installed (make deps-test)")
	}
	c := ctl{t: t, eps: eps}
	t.Run("kv", func(t *testing.T) {
		c := c.with(t)
		for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}} {
			c.expect("OK\n", "put", p+kv[0], kv[1])
		}
		c.expect("OK\n"+p+"a\n1\n", "put", p+"a", "1", "--prev-kv")
		c.expect(p+"a\n1\n"+p+"b\n2\n"+p+"c\n3\n", "get", "--prefix", p)
		c.expect(p+"a\n\n"+p+"b\n\n"+p+"c\n\n", "get", "--prefix", p, "--keys-only")
		c.expect(p+"a\n1\n"+p+"b\n2\n", "get", "--prefix", p, "--limit", "2")
		c.expect(p+"c\n3\n"+p+"b\n2\n"+p+"a\n1\n", "get", "--prefix", p, "--sort-by=KEY", "--order=DESCEND")
		c.expect(p+"b\n2\n"+p+"c\n3\n"+p+"a\n1\n", "get", "--prefix", p, "--sort-by=MODIFY", "--order=ASCEND")
		c.expect(p+"a\n1\n"+p+"b\n2\n", "get", p+"a", p+"c") // [a, c)
		c.expect("1\n", "get", p+"a", "--print-value-only")
		c.expect("", "get", p+"nothing")

		// -w json: the header's revision, keys and values in base64.
		var g struct {
			Header struct{ Revision int64 }
			Kvs    []struct {
				Key, Value     []byte
				CreateRevision int64 `json:"create_revision"`
				ModRevision    int64 `json:"mod_revision"`
				Version        int64
			}
			More  bool
			Count int64
		}
		c.json(&g, "get", "--prefix", p, "--limit", "1")
		if g.Header.Revision == 0 || len(g.Kvs) != 1 || string(g.Kvs[0].Key) != p+"a" || string(g.Kvs[0].Value) != "1" ||
			g.Kvs[0].Version != 2 || g.Kvs[0].ModRevision <= g.Kvs[0].CreateRevision || !g.More || g.Count != 3 {
			t.Errorf("get -w json: %+v", g)
		}
		// --rev reads the past: a's value before it changes.
		c.expect("OK\n", "put", p+"a", "changed")
		c.expect(p+"a\n1\n", "get", p+"a", "--rev="+strconv.FormatInt(g.Header.Revision, 10))
		c.expect("changed\n", "get", p+"a", "--print-value-only")

		c.expect("1\n", "del", p+"a")
		c.expect("0\n", "del", p+"a")
		c.expect("OK\n", "put", p+"d/1", "x")
		c.expect("OK\n", "put", p+"d/2", "y")
		c.expect("2\n"+p+"d/1\nx\n"+p+"d/2\ny\n", "del", "--prefix", p+"d/", "--prev-kv")
		c.expect(p+"b\n2\n"+p+"c\n3\n", "get", "--prefix", p)
	})

	t.Run("txn", func(t *testing.T) {
		c := c.with(t)
		c.expect("OK\n", "put", p+"t", "bar")
		prompts := "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"
		c.expectIn(prompts+"SUCCESS\n\nOK\n\n"+p+"t\nok\n",
			fmt.Sprintf("value(%q) = \"bar\"\n\nput %s ok\nget %[2]s\n\nput %[2]s failed\n\n", p+"t", p+"t"), "txn", "-i")
		c.expectIn(prompts+"FAILURE\n\nOK\n\n"+p+"t\nfailed\n",
			fmt.Sprintf("value(%q) = \"bar\"\n\nput %s ok\n\nput %[2]s failed\nget %[2]s\n\n", p+"t", p+"t"), "txn", "-i")
		// Several compares (mod, version, create), a delete with its
		// previous value; without -i there are no prompts.
		c.expectIn("SUCCESS\n\n1\n"+p+"t\nfailed\n\nOK\n",
			fmt.Sprintf("mod(%q) > \"0\"\nversion(%[1]q) = \"3\"\ncreate(%q) = \"0\"\n\ndel %[1]s --prev-kv\nput %[2]s 1\n\n\n", p+"t", p+"t2"), "txn")
		var r struct {
			Header    struct{ Revision int64 }
			Succeeded bool
		}
		c.jsonIn(&r, fmt.Sprintf("version(%q) = \"5\"\n\n\n\n", p+"t2"), "txn", "-w", "json")
		if r.Succeeded || r.Header.Revision == 0 {
			t.Errorf("txn -w json: %+v", r)
		}
	})

	t.Run("watch", func(t *testing.T) {
		c := c.with(t)
		// The watches start at the next revision, so they see the puts
		// below however long etcdctl takes to connect.
		rev := c.rev()
		w := c.bg("watch", "--prefix", p+"w", "--rev="+strconv.FormatInt(rev+1, 10))
		one := c.bg("watch", p+"w1", "--rev="+strconv.FormatInt(rev+1, 10), "--prev-kv")
		c.expect("OK\n", "put", p+"w1", "a")
		c.expect("OK\n", "put", p+"w2", "b")
		c.expect("OK\n", "put", p+"w1", "c")
		c.expect("1\n", "del", p+"w1")
		w.expectLines("PUT", p+"w1", "a", "PUT", p+"w2", "b", "PUT", p+"w1", "c", "DELETE", p+"w1", "")
		// With --prev-kv an event prints the previous pair before the new.
		one.expectLines("PUT", p+"w1", "a", "PUT", p+"w1", "a", p+"w1", "c", "DELETE", p+"w1", "c", p+"w1", "")
		// Catch-up: a watch from an old revision replays history.
		c.bg("watch", p+"w2", "--rev="+strconv.FormatInt(rev, 10)).expectLines("PUT", p+"w2", "b")
	})

	t.Run("lease", func(t *testing.T) {
		c := c.with(t)
		m := regexp.MustCompile(`^lease ([0-9a-f]+) granted with TTL\(60s\)\n$`).FindStringSubmatch(c.out("", "lease", "grant", "60"))
		if m == nil {
			t.Fatal("lease grant printed something else")
		}
		id := m[1]
		c.expect("OK\n", "put", "--lease="+id, p+"l1", "v")
		c.expect("OK\n", "put", "--lease="+id, p+"l2", "v")
		c.expect("lease "+id+" keepalived with TTL(60)\n", "lease", "keep-alive", "--once", id)
		ttl := c.out("", "lease", "timetolive", "--keys", id)
		if !regexp.MustCompile(`^lease ` + id + ` granted with TTL\(60s\), remaining\((59|60)s\), attached keys\(\[` + p + `l1 ` + p + `l2\]\)\n$`).MatchString(ttl) {
			t.Errorf("timetolive --keys: %q", ttl)
		}
		if l := c.out("", "lease", "list"); !strings.HasPrefix(l, "found ") || !slices.Contains(strings.Split(l, "\n"), id) {
			t.Errorf("lease list: %q", l)
		}
		c.expect("lease "+id+" revoked\n", "lease", "revoke", id)
		c.expect("", "get", "--prefix", p+"l")
		c.expect("lease "+id+" already expired\n", "lease", "timetolive", id)
		c.fails("Error: failed to revoke lease (etcdserver: requested lease not found)", "lease", "revoke", id)
		c.fails("Error: etcdserver: requested lease not found", "lease", "keep-alive", "--once", id)
	})

	t.Run("lock", func(t *testing.T) {
		c := c.with(t)
		// With a command, etcdctl runs it holding the lock and passes the
		// lock's key in ETCD_LOCK_KEY (it prints the key only without one).
		out := c.out("", "lock", p+"lk", "--", "sh", "-c", "echo held; echo $ETCD_LOCK_KEY")
		if l := strings.Split(out, "\n"); len(l) != 3 || l[0] != "held" || !strings.HasPrefix(l[1], p+"lk/") {
			t.Fatalf("lock -- cmd: %q", out)
		}
		// A second locker waits while a clientv3 Mutex holds the lock: its
		// command reads a key written just before Unlock.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sess, err := concurrency.NewSession(cli, concurrency.WithTTL(10))
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		mu := concurrency.NewMutex(sess, p+"lk")
		if err := mu.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		must(t)(cli.Put(ctx, p+"guard", "held"))
		waiter := c.bg("lock", p+"lk", "--", "etcdctl", "--endpoints="+strings.Join(eps, ","), "get", p+"guard", "--print-value-only")
		waitFor(t, "etcdctl lock to queue", func() bool {
			r, err := cli.Get(ctx, p+"lk/", clientv3.WithPrefix(), clientv3.WithCountOnly())
			return err == nil && r.Count == 2
		})
		if waiter.exited() {
			t.Fatal("etcdctl lock ran its command while the lock was held")
		}
		must(t)(cli.Put(ctx, p+"guard", "released"))
		if err := mu.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		waiter.expectLines("released")
		if err := waiter.wait(); err != nil {
			t.Fatalf("etcdctl lock: %v", err)
		}
	})

	t.Run("elect", func(t *testing.T) {
		c := c.with(t)
		first := c.bg("elect", p+"el", "p1")
		l := first.lines(2)
		if !strings.HasPrefix(l[0], p+"el/") || l[1] != "p1" {
			t.Fatalf("elect printed %q", l)
		}
		obs := c.bg("elect", "-l", p+"el")
		obs.expectLines(l...)
		second := c.bg("elect", p+"el", "p2")
		// Interrupted, etcdctl resigns: the second candidate takes over
		// and the observer sees it.
		first.interrupt()
		if err := first.wait(); err != nil {
			t.Errorf("elect after SIGINT: %v", err)
		}
		l2 := second.lines(2)
		if !strings.HasPrefix(l2[0], p+"el/") || l2[1] != "p2" {
			t.Fatalf("second candidate printed %q", l2)
		}
		obs.expectLines(l2...)
		second.interrupt()
	})

	t.Run("cluster", func(t *testing.T) {
		c := c.with(t)
		var st []struct {
			Endpoint string
			Status   struct {
				Header struct {
					MemberID uint64 `json:"member_id"`
				}
				Version                     string
				Leader, RaftTerm, RaftIndex uint64
			}
		}
		c.json(&st, "endpoint", "status")
		if len(st) != len(eps) {
			t.Fatalf("endpoint status: %d endpoints, want %d", len(st), len(eps))
		}
		for _, s := range st {
			if s.Status.Leader != want.leader || s.Status.RaftTerm == 0 || s.Status.RaftIndex == 0 ||
				!strings.HasPrefix(s.Status.Version, "3.") || s.Status.Header.MemberID == 0 {
				t.Errorf("endpoint status: %+v, want leader %x", s, want.leader)
			}
		}
		// etcdctl 3.4 prints health to stderr.
		_, health, err := c.run("", "endpoint", "health")
		if err != nil {
			t.Fatalf("endpoint health: %v: %s", err, health)
		}
		for _, ep := range eps {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ep) + ` is healthy: successfully committed proposal: took = `).MatchString(health) {
				t.Errorf("endpoint health: %q", health)
			}
		}
		var ml struct {
			Members []struct {
				ID         uint64
				Name       string
				ClientURLs []string
			}
		}
		c.json(&ml, "member", "list")
		got := map[string]string{}
		for _, m := range ml.Members {
			got[m.Name] = strings.Join(m.ClientURLs, ",")
		}
		if fmt.Sprint(got) != fmt.Sprint(want.clientURLs) {
			t.Errorf("member list: %v, want %v", got, want.clientURLs)
		}
	})
}

// ctl runs Debian's etcdctl (API 3) against fixed endpoints.
type ctl struct {
	t   *testing.T
	eps []string
}

func (c ctl) with(t *testing.T) ctl { c.t = t; return c }

func (c ctl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "etcdctl", append([]string{
		"--endpoints=" + strings.Join(c.eps, ","), "--dial-timeout=5s", "--command-timeout=10s"}, args...)...)
	cmd.Env = append(os.Environ(), "ETCDCTL_API=3")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run returns stdout and stderr separately: clientv3 logs retries on
// stderr, which etcd's output checks ignore.
func (c ctl) run(stdin string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := c.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func (c ctl) out(stdin string, args ...string) string {
	c.t.Helper()
	out, errs, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("etcdctl %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

func (c ctl) expect(want string, args ...string) { c.t.Helper(); c.expectIn(want, "", args...) }

func (c ctl) expectIn(want, stdin string, args ...string) {
	c.t.Helper()
	if got := c.out(stdin, args...); got != want {
		c.t.Errorf("etcdctl %s:\n got %q\nwant %q", strings.Join(args, " "), got, want)
	}
}

// fails expects etcdctl to fail with wantErr as the last line of stderr.
func (c ctl) fails(wantErr string, args ...string) {
	c.t.Helper()
	out, errs, err := c.run("", args...)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if err == nil || lines[len(lines)-1] != wantErr {
		c.t.Errorf("etcdctl %s: %v, stdout %q, stderr %q; want the error %q", strings.Join(args, " "), err, out, errs, wantErr)
	}
}

func (c ctl) json(v any, args ...string) { c.t.Helper(); c.jsonIn(v, "", args...) }

func (c ctl) jsonIn(v any, stdin string, args ...string) {
	c.t.Helper()
	out := c.out(stdin, append(args, "-w", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("etcdctl %s: %v in %q", strings.Join(args, " "), err, out)
	}
}

// rev is the store's current revision.
func (c ctl) rev() int64 {
	c.t.Helper()
	var g struct{ Header struct{ Revision int64 } }
	c.json(&g, "get", "/")
	return g.Header.Revision
}

// bgCmd is an etcdctl left running (watch, lock, elect) whose output is
// read line by line.
type bgCmd struct {
	t        *testing.T
	cmd      *exec.Cmd
	out      chan string
	finished chan struct{}
	err      error
}

func (c ctl) bg(args ...string) *bgCmd {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	b := &bgCmd{t: c.t, cmd: c.command(ctx, args...), out: make(chan string, 100), finished: make(chan struct{})}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.out <- sc.Text()
		}
		close(b.out)
		b.err = b.cmd.Wait()
		close(b.finished)
	}()
	c.t.Cleanup(func() {
		cancel()
		<-b.finished
	})
	return b
}

// lines reads the next n lines, failing the test after 20 s.
func (b *bgCmd) lines(n int) []string {
	b.t.Helper()
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case l, ok := <-b.out:
			if !ok {
				b.t.Fatalf("etcdctl %v ended (%v) after %q", b.cmd.Args[4:], b.wait(), got)
			}
			got = append(got, l)
		case <-timeout:
			b.t.Fatalf("etcdctl %v printed only %q", b.cmd.Args[4:], got)
		}
	}
	return got
}

func (b *bgCmd) expectLines(want ...string) {
	b.t.Helper()
	if got := b.lines(len(want)); !slices.Equal(got, want) {
		b.t.Errorf("etcdctl %v:\n got %q\nwant %q", b.cmd.Args[4:], got, want)
	}
}

func (b *bgCmd) exited() bool {
	select {
	case <-b.finished:
		return true
	default:
		return false
	}
}

func (b *bgCmd) interrupt() { _ = b.cmd.Process.Signal(os.Interrupt) }

// wait drains the output and returns how the command ended.
func (b *bgCmd) wait() error {
	for range b.out {
	}
	<-b.finished
	return b.err
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(10 * time.Millisecond) // polling interval
	}
}

// must fails the test on a clientv3 call's error.
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// clientConformance runs clientv3 and its concurrency recipes through cli,
// keys under p. Compaction comes last: it ends the other checks' history.
func clientConformance(t *testing.T, cli *clientv3.Client, p string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := func(t *testing.T) *concurrency.Session {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(10))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("recipes", func(t *testing.T) {
		t.Run("mutex", func(t *testing.T) {
			t.Parallel()
			m1, m2 := concurrency.NewMutex(session(t), p+"mu"), concurrency.NewMutex(session(t), p+"mu")
			if err := m1.Lock(ctx); err != nil {
				t.Fatal(err)
			}
			locked := make(chan error, 1)
			go func() { locked <- m2.Lock(ctx) }()
			waitFor(t, "the second Lock to queue", func() bool {
				r, err := cli.Get(ctx, p+"mu/", clientv3.WithPrefix(), clientv3.WithCountOnly())
				return err == nil && r.Count == 2
			})
			fenced := func(m *concurrency.Mutex) bool {
				r, err := cli.Txn(ctx).If(m.IsOwner()).Then(clientv3.OpPut(p+"res", m.Key())).Commit()
				if err != nil {
					t.Fatal(err)
				}
				return r.Succeeded
			}
			if !fenced(m1) {
				t.Error("the holder's IsOwner compare failed")
			}
			select {
			case err := <-locked:
				t.Fatalf("second Lock returned (%v) while the first holds", err)
			default:
			}
			if err := m1.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-locked; err != nil {
				t.Fatal(err)
			}
			if fenced(m1) || !fenced(m2) {
				t.Error("IsOwner fencing: the old holder passed or the new one failed")
			}
			if err := m2.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("trylock", func(t *testing.T) {
			t.Parallel()
			m1, m2 := concurrency.NewMutex(session(t), p+"try"), concurrency.NewMutex(session(t), p+"try")
			if err := m1.TryLock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := m2.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
				t.Fatalf("TryLock while held: %v, want ErrLocked", err)
			}
			if err := m1.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := m2.TryLock(ctx); err != nil {
				t.Fatalf("TryLock after Unlock: %v", err)
			}
		})
		t.Run("election", func(t *testing.T) { t.Parallel(); electionConformance(t, cli, p+"elect", session) })
		t.Run("stm", func(t *testing.T) {
			t.Parallel()
			for i, iso := range []concurrency.Isolation{concurrency.SerializableSnapshot, concurrency.RepeatableReads} {
				stmTransfers(t, ctx, cli, fmt.Sprintf("%sstm%d/", p, i), iso)
			}
		})
		t.Run("keepalive", func(t *testing.T) {
			t.Parallel()
			g, err := cli.Grant(ctx, 2) // the shortest TTL, as etcd's
			if err != nil || g.TTL != 2 {
				t.Fatalf("Grant(2): %v, %v", g, err)
			}
			must(t)(cli.Put(ctx, p+"ka", "v", clientv3.WithLease(g.ID)))
			ch, err := cli.KeepAlive(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Three TTLs: the key lives only if keep-alives keep coming.
			end, n := time.After(6*time.Second), 0
			for done := false; !done; {
				select {
				case _, ok := <-ch:
					if !ok {
						t.Fatalf("keep-alive channel closed after %d answers", n)
					}
					n++
				case <-end:
					done = true
				}
			}
			r, err := cli.Get(ctx, p+"ka")
			if err != nil || len(r.Kvs) != 1 || n < 3 {
				t.Fatalf("after 3 TTLs: %d keep-alive answers, key %v, %v", n, r, err)
			}
		})
		t.Run("watch", func(t *testing.T) { t.Parallel(); watchConformance(t, ctx, cli, p+"w") })
		t.Run("errors", func(t *testing.T) {
			t.Parallel()
			ops := make([]clientv3.Op, 129)
			for i := range ops {
				ops[i] = clientv3.OpPut(fmt.Sprintf("%sops/%d", p, i), "v")
			}
			for _, c := range []struct {
				name string
				err  error
				want error
			}{
				{"Put empty key", second(cli.Put(ctx, "", "v")), rpctypes.ErrEmptyKey},
				{"Txn of 129 ops", second(cli.Txn(ctx).Then(ops...).Commit()), rpctypes.ErrTooManyOps},
				{"Txn of 128 ops", second(cli.Txn(ctx).Then(ops[:128]...).Commit()), nil},
				{"Put 1.6 MiB", second(cli.Put(ctx, p+"big", strings.Repeat("x", 1600*1024))), rpctypes.ErrRequestTooLarge},
				{"Revoke unknown lease", second(cli.Revoke(ctx, 0x7e57)), rpctypes.ErrLeaseNotFound},
				{"Get future revision", second(cli.Get(ctx, p, clientv3.WithRev(1<<40))), rpctypes.ErrFutureRev},
			} {
				if !errors.Is(c.err, c.want) {
					t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
				}
			}
		})
	})
	t.Run("compaction", func(t *testing.T) {
		must(t)(cli.Put(ctx, p+"cmp", "old"))
		r, err := cli.Put(ctx, p+"cmp", "new")
		if err != nil {
			t.Fatal(err)
		}
		rev := r.Header.Revision
		if _, err := cli.Compact(ctx, rev); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Get(ctx, p+"cmp", clientv3.WithRev(rev-1)); !errors.Is(err, rpctypes.ErrCompacted) {
			t.Errorf("Get below the compaction: %v, want ErrCompacted", err)
		}
		if g, err := cli.Get(ctx, p+"cmp", clientv3.WithRev(rev)); err != nil || string(g.Kvs[0].Value) != "new" {
			t.Errorf("Get at the compaction: %v, %v", g, err)
		}
		wr := <-cli.Watch(ctx, p+"cmp", clientv3.WithRev(rev-1))
		if !errors.Is(wr.Err(), rpctypes.ErrCompacted) || wr.CompactRevision != rev {
			t.Errorf("Watch below the compaction: %v (compact revision %d), want ErrCompacted at %d", wr.Err(), wr.CompactRevision, rev)
		}
	})
}

func second[T any](_ T, err error) error { return err }

// electionConformance: Campaign, Proclaim, Leader, Observe, Resign; a
// second candidate takes over after Resign, a third after the second's
// lease is revoked.
func electionConformance(t *testing.T, cli *clientv3.Client, pfx string, session func(*testing.T) *concurrency.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e1 := concurrency.NewElection(session(t), pfx)
	if err := e1.Campaign(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	obs := concurrency.NewElection(session(t), pfx).Observe(ctx)
	observe := func(want string) {
		t.Helper()
		for {
			select {
			case r, ok := <-obs:
				if !ok {
					t.Fatalf("Observe ended waiting for %q", want)
				}
				if string(r.Kvs[0].Value) == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("Observe never saw %q", want)
			}
		}
	}
	observe("v1")
	if err := e1.Proclaim(ctx, "v1b"); err != nil {
		t.Fatal(err)
	}
	observe("v1b")
	if l, err := e1.Leader(ctx); err != nil || string(l.Kvs[0].Value) != "v1b" {
		t.Fatalf("Leader: %v, %v", l, err)
	}
	campaign := func(v string) (*concurrency.Session, chan error) {
		s := session(t)
		won := make(chan error, 1)
		go func() { won <- concurrency.NewElection(s, pfx).Campaign(ctx, v) }()
		waitFor(t, v+" to campaign", func() bool {
			r, err := cli.Get(ctx, pfx+"/", clientv3.WithPrefix(), clientv3.WithFilterDelete())
			return err == nil && slices.ContainsFunc(r.Kvs, func(kv *mvccpb.KeyValue) bool { return string(kv.Value) == v })
		})
		return s, won
	}
	s2, won2 := campaign("v2")
	select {
	case err := <-won2:
		t.Fatalf("second candidate won (%v) while the first leads", err)
	default:
	}
	if err := e1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-won2; err != nil {
		t.Fatal(err)
	}
	observe("v2")
	_, won3 := campaign("v3")
	if _, err := cli.Revoke(ctx, s2.Lease()); err != nil {
		t.Fatal(err)
	}
	if err := <-won3; err != nil {
		t.Fatal(err)
	}
	observe("v3")
}

// stmTransfers runs 10 goroutines moving money between 5 accounts in STM
// transactions of the given isolation; the total must be conserved.
func stmTransfers(t *testing.T, ctx context.Context, cli *clientv3.Client, pfx string, iso concurrency.Isolation) {
	const accounts, workers, rounds, start = 5, 10, 5, 100
	for i := range accounts {
		must(t)(cli.Put(ctx, fmt.Sprintf("%s%d", pfx, i), strconv.Itoa(start)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				from, to := fmt.Sprintf("%s%d", pfx, (w+r)%accounts), fmt.Sprintf("%s%d", pfx, (w+r+1+w%3)%accounts)
				_, err := concurrency.NewSTM(cli, func(s concurrency.STM) error {
					a, _ := strconv.Atoi(s.Get(from))
					b, _ := strconv.Atoi(s.Get(to))
					amt := min(a, 7+w)
					s.Put(from, strconv.Itoa(a-amt))
					s.Put(to, strconv.Itoa(b+amt))
					return nil
				}, concurrency.WithIsolation(iso), concurrency.WithAbortContext(ctx))
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := cli.Get(ctx, pfx, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, kv := range r.Kvs {
		v, _ := strconv.Atoi(string(kv.Value))
		total += v
	}
	if total != accounts*start || len(r.Kvs) != accounts {
		t.Errorf("isolation %v: %d accounts hold %d, want %d", iso, len(r.Kvs), total, accounts*start)
	}
}

// watchConformance: WithPrevKV, WithRev catch-up, and progress on demand.
func watchConformance(t *testing.T, ctx context.Context, cli *clientv3.Client, key string) {
	r, err := cli.Put(ctx, key, "v1")
	if err != nil {
		t.Fatal(err)
	}
	rev := r.Header.Revision
	wch := cli.Watch(ctx, key, clientv3.WithRev(rev+1), clientv3.WithPrevKV())
	// Other checks write concurrently: revisions come from the headers.
	u, err := cli.Put(ctx, key, "v2")
	if err != nil {
		t.Fatal(err)
	}
	d, err := cli.Delete(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	events := func(ch clientv3.WatchChan, n int) []string {
		t.Helper()
		var got []string
		for len(got) < n {
			wr, ok := <-ch
			if !ok || wr.Err() != nil {
				t.Fatalf("watch ended after %q: %v", got, wr.Err())
			}
			for _, ev := range wr.Events {
				s := fmt.Sprintf("%s %s=%s@%d", ev.Type, ev.Kv.Key, ev.Kv.Value, ev.Kv.ModRevision)
				if ev.PrevKv != nil {
					s += " prev=" + string(ev.PrevKv.Value)
				}
				got = append(got, s)
			}
		}
		return got
	}
	want := []string{
		fmt.Sprintf("PUT %s=v2@%d prev=v1", key, u.Header.Revision),
		fmt.Sprintf("DELETE %s=@%d prev=v2", key, d.Header.Revision),
	}
	if got := events(wch, 2); !slices.Equal(got, want) {
		t.Errorf("WithPrevKV: %q, want %q", got, want)
	}
	want = append([]string{fmt.Sprintf("PUT %s=v1@%d", key, rev)}, strings.TrimSuffix(want[0], " prev=v1"), strings.TrimSuffix(want[1], " prev=v2"))
	if got := events(cli.Watch(ctx, key, clientv3.WithRev(rev)), 3); !slices.Equal(got, want) {
		t.Errorf("WithRev catch-up: %q, want %q", got, want)
	}

	// RequestProgress answers on the watch stream of the same context with
	// an empty, progress-notify response at the current revision.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pch := cli.Watch(wctx, key+"/none", clientv3.WithProgressNotify(), clientv3.WithCreatedNotify())
	if wr := <-pch; !wr.Created {
		t.Fatalf("first watch response is not the creation: %+v", wr)
	}
	now, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.RequestProgress(wctx); err != nil {
		t.Fatal(err)
	}
	wr := <-pch
	if !wr.IsProgressNotify() || wr.Header.Revision < now.Header.Revision {
		t.Errorf("after RequestProgress: %+v, want a progress notification at ≥ %d", wr, now.Header.Revision)
	}
}

// TestConformanceEtcdFailover stops the raft leader while a Mutex is
// contended and an Election is held. A new leader takes over; the holders'
// keys survive (their leases are renewed by the new leader and kept alive
// through the surviving nodes), Unlock hands the Mutex to the waiter and
// Resign hands the Election to the other candidate.
func TestConformanceEtcdFailover(t *testing.T) {
	c := New(t, 3, Options{})
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	session := func() *concurrency.Session {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	count := func(prefix string) int64 {
		r, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return -1
		}
		return r.Count
	}

	m1, m2 := concurrency.NewMutex(session(), "/fo/mu"), concurrency.NewMutex(session(), "/fo/mu")
	if err := m1.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() { locked <- m2.Lock(ctx) }()
	e1 := concurrency.NewElection(session(), "/fo/el")
	if err := e1.Campaign(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	won := make(chan error, 1)
	go func() { won <- concurrency.NewElection(session(), "/fo/el").Campaign(ctx, "v2") }()
	waitFor(t, "the second locker and candidate to queue", func() bool {
		return count("/fo/mu/") == 2 && count("/fo/el/") == 2
	})

	old := c.Leader()
	old.Stop()
	if ld := c.Leader(); ld == old {
		t.Fatal("the stopped node still leads")
	}
	select {
	case err := <-locked:
		t.Fatalf("the waiter got the Mutex (%v) while it was held", err)
	case err := <-won:
		t.Fatalf("the second candidate won (%v) while the first leads", err)
	default:
	}
	// Past one session TTL under the new leader, the holders still hold.
	end := time.Now().Add(6 * time.Second)
	waitFor(t, "a session TTL to pass", func() bool { return time.Now().After(end) })
	retry(t, "read the election's leader", func(ctx context.Context) error {
		l, err := e1.Leader(ctx)
		if err == nil && (string(l.Kvs[0].Key) != e1.Key() || string(l.Kvs[0].Value) != "v1") {
			t.Fatalf("election leader after failover: %s=%s, want %s=v1", l.Kvs[0].Key, l.Kvs[0].Value, e1.Key())
		}
		return err
	})
	if n := count("/fo/mu/"); n != 2 {
		t.Fatalf("%d Mutex keys after failover, want 2", n)
	}

	retry(t, "Unlock", m1.Unlock)
	if err := <-locked; err != nil {
		t.Fatalf("the waiter's Lock after failover: %v", err)
	}
	if err := e1.Resign(ctx); err != nil {
		t.Fatalf("Resign after failover: %v", err)
	}
	if err := <-won; err != nil {
		t.Fatalf("the second candidate's Campaign after failover: %v", err)
	}
	retry(t, "Unlock", m2.Unlock)
}

// retry runs f (with a 2 s deadline each time) until it succeeds, for up
// to 20 s: calls during a leader change may fail with "no leader".
func retry(t *testing.T, what string, f func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		<-time.After(50 * time.Millisecond)
	}
}
