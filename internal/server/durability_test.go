package server

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"triad/internal/cache"
	"triad/internal/config"
	"triad/internal/storage/vfs"
)

// These tests run the cache over the fault-injecting in-memory filesystem,
// whose Crash drops everything not yet synced — what a power failure does.
// (kill -9 keeps the page cache, so it cannot tell synced from unsynced.)

type memNode struct {
	p *persistence
	e *cache.Engine
}

func openMem(t *testing.T, fs *vfs.MemFS, fsync string, tick chan time.Time) memNode {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = "/data"
	cfg.Cache.AppendFsync = fsync
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var tc <-chan time.Time
	if tick != nil {
		tc = tick
	}
	p, err := openPersistence(cfg, log, fs, tc)
	if err != nil {
		t.Fatal(err)
	}
	e := cache.New(cache.DefaultConfig(), p.journal(), log)
	if err := p.restore(e); err != nil {
		t.Fatal(err)
	}
	return memNode{p, e}
}

// set runs SET k v and reports whether it was acknowledged (applied and as
// durable as the policy promises).
func (n memNode) set(k, v string) bool {
	args := [][]byte{[]byte("SET"), []byte(k), []byte(v)}
	var r captured
	idx := n.e.Exec(0, n.e.Lookup(args[0]), args, &r)
	if r.err != "" || idx == 0 {
		return false
	}
	return n.e.Durable(idx) == nil
}

func (n memNode) get(k string) (string, bool) {
	args := [][]byte{[]byte("GET"), []byte(k)}
	var r captured
	n.e.Exec(0, n.e.Lookup(args[0]), args, &r)
	return r.bulk, r.hasBulk
}

// captured records the parts of a reply these tests look at.
type captured struct {
	cache.Reply
	err     string
	bulk    string
	hasBulk bool
}

func (c *captured) Status(string)       {}
func (c *captured) Error(s string)      { c.err = s }
func (c *captured) Bulk(b []byte)       { c.bulk, c.hasBulk = string(b), true }
func (c *captured) BulkString(s string) { c.bulk, c.hasBulk = s, true }
func (c *captured) Null()               {}
func (c *captured) Int(int64)           {}
func (c *captured) Proto() int          { return 2 }

func TestCrashUnderAlwaysLosesNothingAcknowledged(t *testing.T) {
	for round := 0; round < 5; round++ {
		fs := vfs.NewMem()
		n := openMem(t, fs, "always", nil)
		var (
			mu    sync.Mutex
			acked = map[string]string{}
			wg    sync.WaitGroup
			crash = make(chan struct{})
			ackCh = make(chan struct{}, 1024)
		)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-crash:
						return
					default:
					}
					k, v := fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("v%d", i)
					if n.set(k, v) {
						mu.Lock()
						acked[k] = v
						mu.Unlock()
						select {
						case ackCh <- struct{}{}:
						default:
						}
					}
				}
			}()
		}
		// Crash once a few hundred writes have been acknowledged, and
		// snapshot part-way in some rounds.
		for c := 0; c < 300+round*100; {
			<-ackCh
			mu.Lock()
			c = len(acked)
			mu.Unlock()
			if round%2 == 1 && c >= 100 && n.p.snapIndex == 0 {
				if err := n.p.save(); err != nil {
					t.Fatal(err)
				}
			}
		}
		fs.Crash()
		close(crash)
		wg.Wait()
		mu.Lock()
		want := acked
		mu.Unlock()

		after := openMem(t, fs, "always", nil)
		for k, v := range want {
			if got, ok := after.get(k); !ok || got != v {
				t.Fatalf("round %d: acknowledged %s=%s lost after crash (got %q, %v)", round, k, v, got, ok)
			}
		}
		after.p.close()
	}
}

func TestCrashUnderEverysecLosesAtMostTheLastSecond(t *testing.T) {
	fs := vfs.NewMem()
	tick := make(chan time.Time)
	n := openMem(t, fs, "everysec", tick)
	for i := 0; i < 500; i++ {
		if !n.set(fmt.Sprint("a", i), "x") {
			t.Fatal("write not acknowledged")
		}
	}
	// One tick of the once-a-second fsync (the second send returns only
	// once the first tick's sync has finished).
	tick <- time.Now()
	tick <- time.Now()
	for i := 0; i < 500; i++ { // the "last second": acknowledged, not yet synced
		if !n.set(fmt.Sprint("b", i), "x") {
			t.Fatal("write not acknowledged")
		}
	}
	fs.Crash()

	after := openMem(t, fs, "everysec", nil)
	defer after.p.close()
	for i := 0; i < 500; i++ {
		if _, ok := after.get(fmt.Sprint("a", i)); !ok {
			t.Fatalf("a%d, synced before the crash, was lost", i)
		}
	}
	// What survives of the last second is a prefix: the log is never holed.
	lost := false
	for i := 0; i < 500; i++ {
		_, ok := after.get(fmt.Sprint("b", i))
		if ok && lost {
			t.Fatalf("b%d survived but an earlier write was lost", i)
		}
		lost = lost || !ok
	}
}

func TestRestartRestoresSnapshotAndLog(t *testing.T) {
	fs := vfs.NewMem()
	n := openMem(t, fs, "everysec", nil)
	for i := 0; i < 1000; i++ {
		n.set(fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	if err := n.p.save(); err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 1500; i++ {
		n.set(fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	if err := n.p.close(); err != nil {
		t.Fatal(err)
	}
	after := openMem(t, fs, "everysec", nil)
	defer after.p.close()
	for i := 0; i < 1500; i++ {
		if v, ok := after.get(fmt.Sprint("k", i)); !ok || v != fmt.Sprint("v", i) {
			t.Fatalf("k%d = %q, %v", i, v, ok)
		}
	}
}
