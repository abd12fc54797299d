package cache

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Eviction and active expiry. Both are decisions of the node that proposes
// writes (the leader, once replicated): it samples keys as Redis does, and
// every key it removes is a logged entry (evict or expire), so replicas and
// replay never consult their own clocks or memory.

// Policies are the values maxmemory-policy accepts.
var Policies = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// SetMaxMemory changes maxmemory and its policy at run time (CONFIG SET).
func (e *Engine) SetMaxMemory(bytes int64, policy string, samples int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.MaxMemory, e.cfg.Policy, e.cfg.Samples = bytes, policy, max(samples, 1)
	e.maxmem.Store(bytes)
}

// MemoryConfig returns maxmemory, maxmemory-policy and maxmemory-samples.
func (e *Engine) MemoryConfig() (int64, string, int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cfg.MaxMemory, e.cfg.Policy, e.cfg.Samples
}

// makeRoom evicts keys until the dataset fits maxmemory, and reports whether
// it does. Under noeviction (or with nothing evictable) it reports false and
// the caller answers -OOM.
func (e *Engine) makeRoom() bool {
	if e.maxmem.Load() == 0 {
		return true // no limit: the common case, without taking the lock
	}
	for tries := 0; ; tries++ {
		e.mu.RLock()
		limit, used, policy := e.cfg.MaxMemory, e.ks.used, e.cfg.Policy
		e.mu.RUnlock()
		if limit == 0 || used <= limit {
			return true
		}
		if policy == "noeviction" || tries > 1024 {
			return false
		}
		e.mu.Lock()
		dbi, key, ok := e.pickVictimLocked()
		if !ok {
			e.mu.Unlock()
			return false
		}
		ts, _ := e.stampLocked()
		if _, err := e.appendLocked(encodeKeyOp(entEvict, ts, dbi, key)); err != nil {
			e.mu.Unlock()
			return false
		}
		e.applyKeyOpLocked(entEvict, ts, dbi, key)
		e.mu.Unlock()
	}
}

// pickVictimLocked samples maxmemory-samples keys per database and returns
// the best candidate for the policy.
func (e *Engine) pickVictimLocked() (int, string, bool) {
	volatile := strings.HasPrefix(e.cfg.Policy, "volatile-")
	bestDB, bestKey, found := 0, "", false
	var bestScore int64
	now := e.nowLocked()
	// Sampling is the leader's decision, logged as an evict entry, so it
	// may use its own randomness.
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for _, d := range e.ks.dbs {
		pool := d.keys
		if volatile {
			pool = d.volatile
		}
		pool.Sample(rng, e.cfg.Samples, func(k string, ent *entry) {
			var score int64 // lower is evicted first
			switch {
			case strings.HasSuffix(e.cfg.Policy, "-lru"):
				score = int64(ent.access.Load())
			case strings.HasSuffix(e.cfg.Policy, "-lfu"):
				score = int64(lfuDecayed(ent, now))
			case strings.HasSuffix(e.cfg.Policy, "-ttl"):
				score = ent.exp
			default:
				score = int64(rand.Uint32())
			}
			if !found || score < bestScore {
				bestDB, bestKey, bestScore, found = d.id, k, score, true
			}
		})
	}
	return bestDB, bestKey, found
}

// LFU: Redis's logarithmic counter (lfu-log-factor 10, lfu-decay-time 1
// minute, initial value 5). The counter lives in entry.hits; the minute of the
// last decrement is derived from entry.access.
const (
	lfuInit      = 5
	lfuLogFactor = 10
)

func lfuTouch(e *entry, now int64) {
	c := lfuDecayed(e, now)
	if c < 255 {
		base := float64(int64(c) - lfuInit)
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1.0/(base*lfuLogFactor+1) {
			c++
		}
	}
	e.hits.Store(c)
}

func lfuDecayed(e *entry, now int64) uint32 {
	c := e.hits.Load()
	last := int64(e.access.Load())
	if mins := (now/1000 - last) / 60; mins > 0 {
		if uint32(mins) >= c {
			return 0
		}
		c -= uint32(mins)
	}
	return c
}

// RunExpirer removes expired keys actively until ctx ends: ten times a
// second it samples twenty keys with a TTL per database, logs an expire entry
// for each expired one, and repeats at once while more than a quarter of a
// sample had expired (Redis's active expire cycle), within 25 ms per cycle.
func (e *Engine) RunExpirer(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.expireCycle(25 * time.Millisecond)
	}
}

func (e *Engine) expireCycle(budget time.Duration) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for dbi := 0; dbi < NumDBs; dbi++ {
		for time.Since(start) < budget {
			e.mu.RLock()
			now := e.nowLocked()
			var expired []string
			n := 0
			vol := e.ks.dbs[dbi].volatile
			if vol.Len() == 0 {
				e.mu.RUnlock()
				break
			}
			vol.Sample(rng, 20, func(k string, ent *entry) {
				n++
				if ent.exp <= now && !slices.Contains(expired, k) {
					expired = append(expired, k)
				}
			})
			e.mu.RUnlock()
			for _, k := range expired {
				e.ExpireKey(dbi, k)
			}
			if len(expired)*4 <= min(n, 20) {
				break
			}
		}
	}
}

// ExpireKey logs and applies the expiry of key if it has expired.
func (e *Engine) ExpireKey(dbi int, key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.ks.dbs[dbi].peek(key)
	if ent == nil || ent.exp == 0 || ent.exp > e.nowLocked() {
		return
	}
	ts, _ := e.stampLocked()
	if _, err := e.appendLocked(encodeKeyOp(entExpire, ts, dbi, key)); err != nil {
		e.log.Warn("cannot log key expiry", "err", err)
		return
	}
	e.applyKeyOpLocked(entExpire, ts, dbi, key)
}

func (e *Engine) lfuLocked() bool { return strings.HasSuffix(e.cfg.Policy, "-lfu") }
