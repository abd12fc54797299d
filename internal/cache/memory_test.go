package cache

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMaxmemoryNoevictionAnswersOOM(t *testing.T) {
	te := newTestEngine(t)
	te.SetMaxMemory(20000, "noeviction", 5)
	var last string
	for i := 0; i < 1000; i++ {
		last = te.do("SET", fmt.Sprint("key", i), strings.Repeat("x", 100))
		if last != "+OK" {
			break
		}
	}
	if last != "-"+ErrOOM {
		t.Fatalf("no OOM under noeviction: last reply %q", last)
	}
	// Reads and deletes still work at the limit.
	te.expect(":100", "STRLEN", "key0")
	te.expect(":1", "DEL", "key0")
}

func TestMaxmemoryEvictsToTheLimit(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-ttl", "volatile-lru", "volatile-random", "volatile-lfu"} {
		t.Run(policy, func(t *testing.T) {
			te := newTestEngine(t)
			const limit = 50000
			te.SetMaxMemory(limit, policy, 5)
			for i := 0; i < 2000; i++ {
				args := []string{"SET", fmt.Sprint("key", i), strings.Repeat("x", 100)}
				if strings.HasPrefix(policy, "volatile-") {
					args = append(args, "PX", "100000000")
				}
				if got := te.do(args...); got != "+OK" {
					t.Fatalf("SET %d: %q", i, got)
				}
			}
			if used := te.UsedMemory(); used > limit+1000 {
				t.Errorf("used %d bytes, limit %d", used, limit)
			}
			if te.Stats().EvictedKeys == 0 {
				t.Error("nothing evicted")
			}
			keys, _ := te.DBSizes()
			if keys[0] == 0 || keys[0] >= 2000 {
				t.Errorf("%d keys left", keys[0])
			}
		})
	}
}

func TestVolatilePolicyWithoutVolatileKeysIsOOM(t *testing.T) {
	te := newTestEngine(t)
	te.SetMaxMemory(20000, "volatile-lru", 5)
	var last string
	for i := 0; i < 1000 && last != "-"+ErrOOM; i++ {
		last = te.do("SET", fmt.Sprint("key", i), strings.Repeat("x", 100))
	}
	if last != "-"+ErrOOM {
		t.Fatalf("volatile-lru with no TTL keys did not refuse writes: %q", last)
	}
}

func TestActiveExpiryRemovesUntouchedKeys(t *testing.T) {
	te := newTestEngine(t)
	for i := 0; i < 200; i++ {
		te.expect("+OK", "SET", fmt.Sprint("k", i), "v", "PX", "5")
	}
	te.expect("+OK", "SET", "keep", "v")
	deadline := time.Now().Add(10 * time.Second)
	for {
		te.expireCycle(25 * time.Millisecond)
		keys, _ := te.DBSizes()
		if keys[0] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d keys left after active expiry", keys[0])
		}
		runtime.Gosched()
	}
	if te.Stats().ExpiredKeys != 200 {
		t.Errorf("expired_keys %d, want 200", te.Stats().ExpiredKeys)
	}
	te.expect("v", "GET", "keep")
}
