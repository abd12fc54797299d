package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"triad/internal/config"
)

// Eviction as a go-redis user sees it: a node with a small maxmemory keeps
// its dataset under the limit by the configured policy, or refuses writes
// with Redis's OOM error when the policy leaves nothing to evict.

// evictionNode starts a node with maxmemory and policy and returns a
// go-redis client for it.
func evictionNode(t *testing.T, maxmemory, policy string) (*redis.Client, context.Context) {
	t.Helper()
	n, _ := startNode(t, t.TempDir(), func(c *config.Config) {
		c.Cache.MaxMemory = maxmemory
		c.Cache.MaxMemoryPolicy = policy
	})
	rdb := redis.NewClient(&redis.Options{Addr: n.CacheAddr(), Protocol: 3})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb, context.Background()
}

// infoField reads one field of INFO section.
func infoField(t *testing.T, ctx context.Context, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %s=%q", section, field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// fill writes n keys prefix:i with size-byte values in pipelines of 100,
// with a TTL when ttl is set, and returns how many writes were refused.
func fill(t *testing.T, ctx context.Context, rdb *redis.Client, prefix string, n, size int, ttl bool) (refused int, lastErr error) {
	t.Helper()
	val := strings.Repeat("v", size)
	for i := 0; i < n; i += 100 {
		cmds, _ := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+100, n); j++ {
				if ttl {
					p.SetEx(ctx, fmt.Sprintf("%s:%d", prefix, j), val, time.Hour)
				} else {
					p.Set(ctx, fmt.Sprintf("%s:%d", prefix, j), val, 0)
				}
			}
			return nil
		})
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				refused++
				lastErr = err
			}
		}
	}
	return refused, lastErr
}

func TestConformanceEvictionKeepsUnderLimit(t *testing.T) {
	const limit = 1 << 20
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			rdb, ctx := evictionNode(t, "1mb", policy)
			// allkeys-lfu: a key read often must outlive keys written once.
			if err := rdb.Set(ctx, "hot", "h", 0).Err(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 30; i++ {
				if refused, err := fill(t, ctx, rdb, fmt.Sprintf("k%d", i), 200, 256, false); refused > 0 {
					t.Fatalf("%d writes refused under %s: %v", refused, policy, err)
				}
				for j := 0; j < 20; j++ {
					rdb.Get(ctx, "hot")
				}
			}
			// As in Redis, room is made before a write, so the last write
			// may leave the dataset over the limit by its own size.
			if used := infoField(t, ctx, rdb, "memory", "used_memory_dataset"); used > limit+4096 {
				t.Errorf("used_memory_dataset = %d after eviction, over maxmemory %d by more than one write", used, limit)
			}
			if ev := infoField(t, ctx, rdb, "stats", "evicted_keys"); ev == 0 {
				t.Error("evicted_keys = 0 after writing 6000 x 256 B into 1 MB")
			}
			keys, err := rdb.DBSize(ctx).Result()
			if err != nil || keys == 0 || keys >= 6001 {
				t.Errorf("DBSIZE = %d, %v: want some but not all keys kept", keys, err)
			}
			if policy == "allkeys-lfu" {
				if n, _ := rdb.Exists(ctx, "hot").Result(); n != 1 {
					t.Error("allkeys-lfu evicted the most frequently read key")
				}
			}
		})
	}
}

func TestConformanceEvictionVolatileSparesPersistentKeys(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			rdb, ctx := evictionNode(t, "1mb", policy)
			if refused, err := fill(t, ctx, rdb, "keep", 1000, 256, false); refused > 0 {
				t.Fatalf("%d persistent writes refused while under the limit: %v", refused, err)
			}
			// Volatile keys make room for each other, never at the
			// persistent keys' expense.
			if refused, err := fill(t, ctx, rdb, "tmp", 4000, 256, true); refused > 0 {
				t.Fatalf("%d volatile writes refused: %v", refused, err)
			}
			for i := 0; i < 1000; i++ {
				if n, _ := rdb.Exists(ctx, fmt.Sprintf("keep:%d", i)).Result(); n != 1 {
					t.Fatalf("persistent key keep:%d was evicted under %s", i, policy)
				}
			}
			// With nothing volatile left to evict, writes get Redis's OOM.
			rdb.FlushDB(ctx)
			refused, err := fill(t, ctx, rdb, "p", 8000, 256, false)
			if refused == 0 || err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
				t.Fatalf("persistent writes past maxmemory: %d refused, last error %v; want Redis's OOM error", refused, err)
			}
		})
	}
}

func TestConformanceEvictionNoEvictionRefusesWrites(t *testing.T) {
	rdb, ctx := evictionNode(t, "1mb", "noeviction")
	refused, err := fill(t, ctx, rdb, "k", 8000, 256, false)
	if refused == 0 || err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Fatalf("writes past maxmemory: %d refused, last error %v; want Redis's OOM error", refused, err)
	}
	stored, _ := rdb.DBSize(ctx).Result()
	if stored != int64(8000-refused) {
		t.Errorf("DBSIZE = %d, want the %d acknowledged writes", stored, 8000-refused)
	}
	// Reads and deletes still work, and free room for writes again.
	if v, err := rdb.Get(ctx, "k:0").Result(); err != nil || len(v) != 256 {
		t.Errorf("GET k:0 = %d bytes, %v", len(v), err)
	}
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("FLUSHDB under OOM: %v", err)
	}
	if err := rdb.Set(ctx, "after", "v", 0).Err(); err != nil {
		t.Errorf("SET after FLUSHDB: %v", err)
	}
	if ev := infoField(t, ctx, rdb, "stats", "evicted_keys"); ev != 0 {
		t.Errorf("evicted_keys = %d under noeviction", ev)
	}
}
