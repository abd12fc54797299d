package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"triad/internal/config"
)

// Persistence seen by a client: whatever was acknowledged before a graceful
// stop, a SAVE, or a kill -9 is there after a restart on the same data dir.
// (Power-loss claims are tested on the crashing filesystem in
// durability_test.go; kill -9 keeps the page cache.)

// dataset writes one value of every type, with and without TTLs, in two
// databases, and checks them after a restart.
type dataset struct {
	prefix string
	// ttlSet is when the TTLs were set; remaining TTLs must not exceed them.
	ttlSet time.Time
}

const datasetTTL = 1000 * time.Second

func (d *dataset) write(t *testing.T, ctx context.Context, rdb *redis.Client) {
	t.Helper()
	p := d.prefix
	d.ttlSet = time.Now()
	// Each write is checked on its own so that a missing data type (not yet
	// implemented) is reported without hiding the others.
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("write %s: %v", what, err)
		}
	}
	check("string", rdb.Set(ctx, p+"str", "value", 0).Err())
	check("binary string", rdb.Set(ctx, p+"bin", "\x00\xff\r\n", 0).Err())
	check("string with TTL", rdb.Set(ctx, p+"ttl", "soon", datasetTTL).Err())
	check("counter", rdb.IncrBy(ctx, p+"ctr", 42).Err())
	check("float", rdb.IncrByFloat(ctx, p+"flt", 2.5).Err())
	check("hash", rdb.HSet(ctx, p+"hash", "a", "1", "b", "2").Err())
	check("hash TTL", rdb.Expire(ctx, p+"hash", datasetTTL).Err())
	check("set", rdb.SAdd(ctx, p+"set", "x", "y", "z").Err())
	check("list", rdb.RPush(ctx, p+"list", "1", "2", "3").Err())
	check("zset", rdb.ZAdd(ctx, p+"zset", redis.Z{Score: 1.5, Member: "m1"}, redis.Z{Score: -2, Member: "m2"}).Err())
	check("deleted key", rdb.Set(ctx, p+"gone", "x", 0).Err())
	check("DEL", rdb.Del(ctx, p+"gone").Err())
	check("expired key", rdb.Set(ctx, p+"expired", "x", time.Millisecond).Err())
	check("bitmap", rdb.SetBit(ctx, p+"bits", 100, 1).Err())
	check("large value", rdb.Set(ctx, p+"large", string(make([]byte, 1<<20)), 0).Err())
	// Another database.
	db3 := inDB(rdb, 3)
	defer db3.Close()
	check("SET in db 3", db3.Set(ctx, p+"db3", "three", 0).Err())
}

// inDB is a client of rdb's server that SELECTs db on every connection.
func inDB(rdb *redis.Client, db int) *redis.Client {
	opt := *rdb.Options()
	opt.DB = db
	return redis.NewClient(&opt)
}

func (d *dataset) verify(t *testing.T, ctx context.Context, rdb *redis.Client) {
	t.Helper()
	p := d.prefix
	eq := func(what, got, want string, err error) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("after restart %s = %q, %v; want %q", what, got, err, want)
		}
	}
	v, err := rdb.Get(ctx, p+"str").Result()
	eq("GET str", v, "value", err)
	v, err = rdb.Get(ctx, p+"bin").Result()
	eq("GET bin", v, "\x00\xff\r\n", err)
	v, err = rdb.Get(ctx, p+"ttl").Result()
	eq("GET ttl", v, "soon", err)
	limit := datasetTTL - time.Since(d.ttlSet) + time.Second // TTL granularity
	for _, k := range []string{"ttl", "hash"} {
		ttl, err := rdb.PTTL(ctx, p+k).Result()
		if err != nil || ttl <= 0 || ttl > limit {
			t.Errorf("after restart PTTL %s = %v, %v; want in (0, %v]", k, ttl, err, limit)
		}
	}
	if ttl := rdb.TTL(ctx, p+"str").Val(); ttl != -1 {
		t.Errorf("after restart TTL str = %v, want -1 (no expiry)", ttl)
	}
	v, err = rdb.Get(ctx, p+"ctr").Result()
	eq("GET ctr", v, "42", err)
	v, err = rdb.Get(ctx, p+"flt").Result()
	eq("GET flt", v, "2.5", err)
	h, err := rdb.HGetAll(ctx, p+"hash").Result()
	eq("HGETALL hash", fmt.Sprint(h), "map[a:1 b:2]", err)
	m, err := rdb.SMembers(ctx, p+"set").Result()
	sort.Strings(m)
	eq("SMEMBERS set", fmt.Sprint(m), "[x y z]", err)
	l, err := rdb.LRange(ctx, p+"list", 0, -1).Result()
	eq("LRANGE list", fmt.Sprint(l), "[1 2 3]", err)
	z, err := rdb.ZRangeWithScores(ctx, p+"zset", 0, -1).Result()
	eq("ZRANGE zset WITHSCORES", fmt.Sprint(z), "[{-2 m2} {1.5 m1}]", err)
	if n := rdb.Exists(ctx, p+"gone", p+"expired").Val(); n != 0 {
		t.Errorf("after restart a deleted or expired key exists (%d)", n)
	}
	bit, err := rdb.GetBit(ctx, p+"bits", 100).Result()
	eq("GETBIT bits 100", strconv.FormatInt(bit, 10), "1", err)
	n, err := rdb.StrLen(ctx, p+"large").Result()
	eq("STRLEN large", strconv.FormatInt(n, 10), strconv.Itoa(1<<20), err)
	db3 := inDB(rdb, 3)
	defer db3.Close()
	v, err = db3.Get(ctx, p+"db3").Result()
	eq("GET db3 (SELECT 3)", v, "three", err)
	if _, err := rdb.Get(ctx, p+"db3").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("after restart a db 3 key is visible in db 0: %v", err)
	}
}

func TestConformancePersistAcrossRestart(t *testing.T) {
	for _, policy := range []string{"always", "everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			mod := func(c *config.Config) { c.Cache.AppendFsync = policy }
			ctx := context.Background()
			d := &dataset{prefix: "p:"}

			n1, stop1 := startNode(t, dir, mod)
			rdb := redis.NewClient(&redis.Options{Addr: n1.CacheAddr()})
			d.write(t, ctx, rdb)
			size := rdb.DBSize(ctx).Val()
			rdb.Close()
			stop1()

			n2, _ := startNode(t, dir, mod)
			rdb = redis.NewClient(&redis.Options{Addr: n2.CacheAddr()})
			defer rdb.Close()
			d.verify(t, ctx, rdb)
			if got := rdb.DBSize(ctx).Val(); got != size && got != size-1 { // size may still count p:expired
				t.Errorf("DBSIZE after restart = %d, before %d", got, size)
			}
		})
	}
}

func TestConformancePersistSnapshotThenLog(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	before := &dataset{prefix: "snap:"}
	after := &dataset{prefix: "log:"}

	n1, stop1 := startNode(t, dir, nil)
	rdb := redis.NewClient(&redis.Options{Addr: n1.CacheAddr()})
	before.write(t, ctx, rdb)
	rdb.Set(ctx, "overwritten", "old", 0)
	rdb.Set(ctx, "deleted-after-save", "x", 0)
	last := rdb.LastSave(ctx).Val()
	if err := rdb.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
	if ls := rdb.LastSave(ctx).Val(); ls < last {
		t.Errorf("LASTSAVE went back: %d -> %d", last, ls)
	}
	// More writes after the snapshot, some changing what it holds.
	after.write(t, ctx, rdb)
	rdb.Set(ctx, "overwritten", "new", 0)
	rdb.Del(ctx, "deleted-after-save")
	for i := range 1000 {
		rdb.Incr(ctx, "ctr-after-save")
		_ = i
	}
	rdb.Close()
	stop1()

	n2, stop2 := startNode(t, dir, nil)
	rdb = redis.NewClient(&redis.Options{Addr: n2.CacheAddr()})
	before.verify(t, ctx, rdb)
	after.verify(t, ctx, rdb)
	if v := rdb.Get(ctx, "overwritten").Val(); v != "new" {
		t.Errorf("GET overwritten = %q, want new", v)
	}
	if rdb.Exists(ctx, "deleted-after-save").Val() != 0 {
		t.Error("a key deleted after SAVE came back")
	}
	if v := rdb.Get(ctx, "ctr-after-save").Val(); v != "1000" {
		t.Errorf("counter incremented after SAVE = %q, want 1000 (log replay must not double-apply)", v)
	}
	// BGSAVE, then a second restart: still the same.
	if err := rdb.BgSave(ctx).Err(); err != nil {
		t.Errorf("BGSAVE: %v", err)
	}
	pollUntil(t, 30*time.Second, "BGSAVE to finish", func() bool {
		info := rdb.Info(ctx, "persistence").Val()
		return regexp.MustCompile(`rdb_bgsave_in_progress:0`).MatchString(info)
	})
	rdb.Incr(ctx, "ctr-after-save")
	rdb.Close()
	stop2()

	n3, _ := startNode(t, dir, nil)
	rdb = redis.NewClient(&redis.Options{Addr: n3.CacheAddr()})
	defer rdb.Close()
	before.verify(t, ctx, rdb)
	after.verify(t, ctx, rdb)
	if v := rdb.Get(ctx, "ctr-after-save").Val(); v != "1001" {
		t.Errorf("counter after BGSAVE and a second restart = %q, want 1001", v)
	}
}

// buildTriad builds cmd/triad into a temp dir of t.
func buildTriad(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build cmd/triad")
	}
	bin := filepath.Join(t.TempDir(), "triad")
	if out, err := exec.Command(gobin, "build", "-o", bin, "triad/cmd/triad").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// triadProcess is a node running as a child process, to be killed with SIGKILL.
type triadProcess struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

var readyLine = regexp.MustCompile(`triad is ready.* cache=(\S+)`)

func startProcess(t *testing.T, bin, dir, fsync string) *triadProcess {
	t.Helper()
	cmd := exec.Command(bin, "--cache-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--etcd-addr", "127.0.0.1:0", "--peer-addr", "127.0.0.1:0", "--kafka-addr", "127.0.0.1:0",
		"--data-dir", dir, "--appendfsync", fsync)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &triadProcess{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("triad exited before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("triad did not log \"triad is ready\" within 30s")
	}
	return p
}

// TestConformanceKill9UnderLoad hammers a child-process node with writes,
// SIGKILLs it, restarts it and checks that every acknowledged write is there.
func TestConformanceKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTriad(t)
	for _, policy := range []string{"everysec", "always"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			p := startProcess(t, bin, dir, policy)
			ctx := context.Background()
			rdb := redis.NewClient(&redis.Options{Addr: p.addr, PoolSize: 16, MaxRetries: -1})

			const writers = 8
			var (
				acked   [writers][]int // per writer: the sequence numbers acknowledged
				incrs   atomic.Int64   // INCRs acknowledged
				wg      sync.WaitGroup
				stopped = make(chan struct{})
			)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stopped:
							return
						default:
						}
						k := fmt.Sprintf("w%d:%d", w, i)
						if err := rdb.Set(ctx, k, k, 0).Err(); err != nil {
							return // the process died
						}
						acked[w] = append(acked[w], i)
						if err := rdb.Incr(ctx, "incrs").Err(); err != nil {
							return
						}
						incrs.Add(1)
						if i%10 == 0 {
							if err := rdb.HSet(ctx, fmt.Sprintf("h%d", w), strconv.Itoa(i), i).Err(); err != nil {
								return
							}
						}
					}
				}()
			}
			// Let the load run until a good number of writes are acknowledged.
			pollUntil(t, 30*time.Second, "2000 acknowledged INCRs", func() bool { return incrs.Load() >= 2000 })
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-p.done
			p.done <- nil // for the cleanup
			close(stopped)
			wg.Wait()
			rdb.Close()

			p2 := startProcess(t, bin, dir, policy)
			rdb2 := redis.NewClient(&redis.Options{Addr: p2.addr})
			defer rdb2.Close()
			total := 0
			for w := range writers {
				if len(acked[w]) == 0 {
					continue
				}
				keys := make([]string, len(acked[w]))
				for j, i := range acked[w] {
					keys[j] = fmt.Sprintf("w%d:%d", w, i)
				}
				for start := 0; start < len(keys); start += 500 {
					batch := keys[start:min(start+500, len(keys))]
					vals, err := rdb2.MGet(ctx, batch...).Result()
					if err != nil {
						t.Fatal(err)
					}
					for j, v := range vals {
						if v != batch[j] {
							t.Errorf("acknowledged SET %s lost after kill -9 (got %v)", batch[j], v)
						}
					}
				}
				total += len(keys)
				h := rdb2.HKeys(ctx, fmt.Sprintf("h%d", w)).Val()
				want := (acked[w][len(acked[w])-1] + 9) / 10 // HSETs acknowledged at least (i%10==0 for i < last acked)
				if len(h) < want {
					t.Errorf("h%d has %d fields after kill -9, at least %d were acknowledged", w, len(h), want)
				}
			}
			got, err := rdb2.Get(ctx, "incrs").Int64()
			if err != nil {
				t.Fatal(err)
			}
			// Every acknowledged INCR is there; at most one in flight per writer may also be.
			if got < incrs.Load() || got > incrs.Load()+writers {
				t.Errorf("incrs = %d after kill -9, %d were acknowledged", got, incrs.Load())
			}
			t.Logf("%d SETs and %d INCRs acknowledged before SIGKILL; all present", total, incrs.Load())
		})
	}
}

// CONFIG SET appendfsync changes the policy live, as in Redis, and a write
// acknowledged under the new policy survives a restart.
func TestConformanceConfigSetAppendFsync(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, nil)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: n.CacheAddr()})
	defer rdb.Close()
	get := func() string {
		t.Helper()
		v, err := rdb.ConfigGet(ctx, "appendfsync").Result()
		if err != nil {
			t.Fatal(err)
		}
		return v["appendfsync"]
	}
	if got := get(); got != "everysec" {
		t.Fatalf("CONFIG GET appendfsync = %q, want the default everysec", got)
	}
	if err := rdb.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatalf("CONFIG SET appendfsync always: %v", err)
	}
	if got := get(); got != "always" {
		t.Fatalf("CONFIG GET appendfsync = %q after CONFIG SET always", got)
	}
	err := rdb.ConfigSet(ctx, "appendfsync", "sometimes").Err()
	if want := "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: always, everysec, no"; err == nil || err.Error() != want {
		t.Fatalf("CONFIG SET appendfsync sometimes = %v, want %q", err, want)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stop()
	n, _ = startNode(t, dir, nil)
	rdb2 := redis.NewClient(&redis.Options{Addr: n.CacheAddr()})
	defer rdb2.Close()
	if v, err := rdb2.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after restart GET k = %q, %v", v, err)
	}
}
