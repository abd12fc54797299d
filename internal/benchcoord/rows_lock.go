package benchcoord

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

// errMutualExclusion reports two workers inside the critical section at
// once: the lock is broken, and its numbers mean nothing.
var errMutualExclusion = errors.New("benchcoord: two lock holders at once")

// lock measures contended handoffs: LockWorkers workers, each with its own
// session (spread over the connections), loop Lock → increment a counter →
// Unlock on one concurrency.Mutex. Ops are handoffs; latency is the time
// spent in Lock, the wait a contender sees. The critical section checks
// that it is alone, so a lock that lets two holders in shows up as errors.
func (b *bench) lock(ctx context.Context) (Result, error) {
	n := b.cfg.LockWorkers
	ttl := int((b.cfg.Warmup + b.cfg.Duration + rowGrace + time.Minute).Seconds())
	mutexes := make([]*concurrency.Mutex, n)
	sessions := make([]*concurrency.Session, n)
	err := parallel(n, func(i int) error {
		s, err := concurrency.NewSession(b.conns[i%len(b.conns)], concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("benchcoord: new session: %w", err)
		}
		sessions[i] = s
		mutexes[i] = concurrency.NewMutex(s, b.cfg.Prefix+"lock")
		return nil
	})
	defer func() {
		for _, s := range sessions {
			if s != nil {
				s.Close() // revokes the lease, hence the lock keys
			}
		}
	}()
	if err != nil {
		return Result{}, err
	}

	var holders, counter atomic.Int64
	w := newWindow(b.cfg)
	t := closedLoop(ctx, w, n, func(ctx context.Context, worker int, _ *rand.Rand) (time.Duration, error) {
		m := mutexes[worker]
		start := time.Now()
		if err := m.Lock(ctx); err != nil {
			return 0, fmt.Errorf("benchcoord: lock: %w", err)
		}
		wait := time.Since(start)
		var err error
		if holders.Add(1) != 1 {
			err = errMutualExclusion
		}
		counter.Add(1)
		holders.Add(-1)
		if uerr := m.Unlock(ctx); uerr != nil && err == nil {
			err = fmt.Errorf("benchcoord: unlock: %w", uerr)
		}
		return wait, err
	})
	return t.result(b.cfg, RowLock, w, n), nil
}
