package server

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redsync/redsync/v4"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"
)

// redsync (the Redlock implementation most Go services use) against one node:
// its scripts (SET NX PX, the compare-and-delete and compare-and-PEXPIRE Lua)
// must behave as on Redis.

func TestConformanceRedsync(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), nil)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: n.CacheAddr(), PoolSize: 32})
	defer rdb.Close()
	rs := redsync.New(goredis.NewPool(rdb))

	t.Run("LockUnlock", func(t *testing.T) {
		m := rs.NewMutex("rs:basic", redsync.WithExpiry(10*time.Second))
		if err := m.Lock(); err != nil {
			t.Fatalf("Lock: %v", err)
		}
		if v := rdb.Get(ctx, "rs:basic").Val(); v != m.Value() {
			t.Errorf("lock key holds %q, want the mutex's value %q", v, m.Value())
		}
		if ttl := rdb.PTTL(ctx, "rs:basic").Val(); ttl <= 0 || ttl > 10*time.Second {
			t.Errorf("lock key PTTL = %v", ttl)
		}
		other := rs.NewMutex("rs:basic", redsync.WithTries(1))
		var taken *redsync.ErrTaken
		if err := other.TryLock(); err == nil {
			t.Fatal("a second mutex acquired a held lock")
		} else if !errors.As(err, &taken) && !errors.Is(err, redsync.ErrFailed) {
			t.Errorf("TryLock on a held lock: %v", err)
		}
		// Unlocking with the wrong value must not release it.
		if ok, _ := other.Unlock(); ok {
			t.Error("a non-holder unlocked the lock")
		}
		if ok, err := m.Unlock(); !ok || err != nil {
			t.Fatalf("Unlock = %v, %v", ok, err)
		}
		if n := rdb.Exists(ctx, "rs:basic").Val(); n != 0 {
			t.Error("the lock key survives Unlock")
		}
		if err := other.TryLock(); err != nil {
			t.Errorf("TryLock after Unlock: %v", err)
		}
		other.Unlock()
	})

	t.Run("Extend", func(t *testing.T) {
		m := rs.NewMutex("rs:extend", redsync.WithExpiry(2*time.Second))
		if err := m.Lock(); err != nil {
			t.Fatal(err)
		}
		before := m.Until()
		// Shorten the key's TTL behind the mutex's back; Extend must reset it.
		if err := rdb.PExpire(ctx, "rs:extend", 500*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		ok, err := m.Extend()
		if !ok || err != nil {
			t.Fatalf("Extend = %v, %v", ok, err)
		}
		if ttl := rdb.PTTL(ctx, "rs:extend").Val(); ttl <= time.Second {
			t.Errorf("PTTL after Extend = %v, want about 2s", ttl)
		}
		if !m.Until().After(before) && !m.Until().Equal(before) {
			t.Errorf("Until moved back: %v -> %v", before, m.Until())
		}
		// Extending a lock someone else now holds fails.
		rdb.Set(ctx, "rs:extend", "stolen", time.Minute)
		if ok, _ := m.Extend(); ok {
			t.Error("Extend succeeded on a lock held by another value")
		}
		if ok, _ := m.Unlock(); ok {
			t.Error("Unlock succeeded on a lock held by another value")
		}
		if v := rdb.Get(ctx, "rs:extend").Val(); v != "stolen" {
			t.Errorf("the other holder's lock was touched: %q", v)
		}
	})

	t.Run("TryLockContention", func(t *testing.T) {
		const workers, rounds = 8, 25
		var (
			holders  atomic.Int32 // holders inside the critical section right now
			counter  atomic.Int64 // read, then written: only mutual exclusion keeps every increment
			acquired atomic.Int32
			overlap  atomic.Int32
			wg       sync.WaitGroup
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := rs.NewMutex("rs:contended", redsync.WithExpiry(10*time.Second), redsync.WithTries(1))
				for done := 0; done < rounds; {
					if err := m.TryLock(); err != nil {
						var taken *redsync.ErrTaken
						if !errors.As(err, &taken) && !errors.Is(err, redsync.ErrFailed) {
							t.Errorf("TryLock: %v", err)
							return
						}
						continue
					}
					if holders.Add(1) != 1 {
						overlap.Add(1)
					}
					// A non-atomic read-modify-write (two atomic steps, so the
					// race detector, blind to ordering through sockets, stays quiet):
					// overlapping holders would lose increments.
					c := counter.Load()
					runtime.Gosched()
					counter.Store(c + 1)
					holders.Add(-1)
					if ok, err := m.Unlock(); !ok || err != nil {
						t.Errorf("Unlock = %v, %v", ok, err)
						return
					}
					acquired.Add(1)
					done++
				}
			}()
		}
		wg.Wait()
		if overlap.Load() != 0 {
			t.Errorf("%d times two goroutines held the lock at once", overlap.Load())
		}
		if counter.Load() != workers*rounds || int(acquired.Load()) != workers*rounds {
			t.Errorf("counter = %d after %d acquisitions, want %d", counter.Load(), acquired.Load(), workers*rounds)
		}
	})

	t.Run("AbandonedLockExpires", func(t *testing.T) {
		abandoned := rs.NewMutex("rs:abandoned", redsync.WithExpiry(300*time.Millisecond))
		if err := abandoned.Lock(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// Never unlocked: a second mutex polls until the key expires.
		m := rs.NewMutex("rs:abandoned", redsync.WithExpiry(5*time.Second),
			redsync.WithTries(500), redsync.WithRetryDelay(10*time.Millisecond))
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := m.LockContext(lctx); err != nil {
			t.Fatalf("lock was never freed by expiry: %v", err)
		}
		if waited := time.Since(start); waited < 250*time.Millisecond {
			t.Errorf("acquired an unexpired lock after %v", waited)
		}
		if ok, err := abandoned.Unlock(); ok {
			t.Errorf("the expired holder could unlock the new holder's lock (err %v)", err)
		}
		if v := rdb.Get(ctx, "rs:abandoned").Val(); v != m.Value() {
			t.Errorf("lock key = %q, want the new holder's value", v)
		}
		if ok, err := m.Unlock(); !ok || err != nil {
			t.Errorf("Unlock = %v, %v", ok, err)
		}
	})
}
