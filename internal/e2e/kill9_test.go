//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// buildTriad builds cmd/triad into a temp dir.
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

type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

var readyLine = regexp.MustCompile(`triad is ready.* cache=(\S+)`)

// start runs the binary on ephemeral ports and waits for "triad is ready".
func start(t *testing.T, bin, dir, fsync string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "--cache-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--etcd-addr", "127.0.0.1:0", "--peer-addr", "127.0.0.1:0", "--kafka-addr", "127.0.0.1:0",
		"--data-dir", dir, "--appendfsync", fsync, "--snapshot-log-bytes", "4mb")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
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
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("triad exited before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("triad did not become ready within 60s")
	}
	return p
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// TestKill9Cycles runs many kill -9 / restart cycles under a mixed write load
// with snapshots (BGSAVE and log-size triggered) in flight, and checks after
// each restart that every acknowledged write from every earlier cycle is there.
func TestKill9Cycles(t *testing.T) {
	bin := buildTriad(t)
	for _, policy := range []string{"everysec", "always", "no"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			const writers, cycles = 8, 8
			var (
				acked   [writers]int // writer w's keys w:0 … w:acked-1 are acknowledged
				incrs   int64        // acknowledged INCRs, all cycles
				appends [writers]int // acknowledged APPENDs of one byte to a:w
			)
			for cycle := range cycles {
				p := start(t, bin, dir, policy)
				ctx := context.Background()
				rdb := redis.NewClient(&redis.Options{Addr: p.addr, PoolSize: writers + 2, MaxRetries: -1})
				incrs = verify(t, ctx, rdb, cycle, acked[:], appends[:], incrs, writers)

				var (
					wg        sync.WaitGroup
					stop      = make(chan struct{})
					cycleIncr atomic.Int64
				)
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							select {
							case <-stop:
								return
							default:
							}
							i := acked[w]
							k := fmt.Sprintf("w%d:%d", w, i)
							if rdb.Set(ctx, k, k, 0).Err() != nil {
								return
							}
							acked[w] = i + 1
							if rdb.Incr(ctx, "incrs").Err() != nil {
								return
							}
							cycleIncr.Add(1)
							if rdb.Append(ctx, fmt.Sprintf("a:%d", w), "x").Err() != nil {
								return
							}
							appends[w]++
						}
					}()
				}
				wg.Add(1)
				go func() { // snapshots while the load runs
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						case <-time.After(time.Duration(50+rand.IntN(200)) * time.Millisecond):
						}
						if rdb.BgSave(ctx).Err() != nil {
							return
						}
					}
				}()
				// Kill at a random point 0.5–2.5 s into the load (a chosen moment,
				// not a wait for a condition).
				time.Sleep(time.Duration(500+rand.IntN(2000)) * time.Millisecond)
				p.kill(t)
				close(stop)
				wg.Wait()
				rdb.Close()
				incrs += cycleIncr.Load()
				t.Logf("cycle %d: killed with %d INCRs acknowledged so far", cycle, incrs)
			}
			p := start(t, bin, dir, policy)
			rdb := redis.NewClient(&redis.Options{Addr: p.addr})
			verify(t, context.Background(), rdb, cycles, acked[:], appends[:], incrs, writers)
			rdb.Close()
			p.kill(t)
		})
	}
}

// verify checks the acknowledged state and returns the INCR count found.
// After a kill at most one write per writer was in flight, so a value may be
// ahead of the acknowledged one by that much; what is found becomes the
// baseline for the next cycle.
func verify(t *testing.T, ctx context.Context, rdb *redis.Client, cycle int, acked, appends []int, incrs int64, writers int) int64 {
	t.Helper()
	slack := int64(writers)
	got, err := rdb.Get(ctx, "incrs").Int64()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if got < incrs || got > incrs+slack {
		t.Errorf("cycle %d: incrs = %d, %d acknowledged", cycle, got, incrs)
	}
	for w := range writers {
		for start := 0; start < acked[w]; start += 1000 {
			var keys []string
			for i := start; i < min(start+1000, acked[w]); i++ {
				keys = append(keys, fmt.Sprintf("w%d:%d", w, i))
			}
			vals, err := rdb.MGet(ctx, keys...).Result()
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range vals {
				if v != keys[j] {
					t.Fatalf("cycle %d: acknowledged SET %s lost (got %v)", cycle, keys[j], v)
				}
			}
		}
		n, err := rdb.StrLen(ctx, "a:"+strconv.Itoa(w)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n < int64(appends[w]) || n > int64(appends[w])+1 {
			t.Errorf("cycle %d: a:%d has %d bytes, %d APPENDs acknowledged", cycle, w, n, appends[w])
		}
		// An in-flight append that landed counts as done for the next cycle.
		appends[w] = int(n)
	}
	return got
}
