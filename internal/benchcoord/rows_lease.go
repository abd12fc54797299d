package benchcoord

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// keepAlive is Conns×PerConn clients each renewing its own lease with
// KeepAliveOnce in a loop: a write that every lease holder (every lock,
// every election) sends all the time.
func (b *bench) keepAlive(ctx context.Context) (Result, error) {
	n := b.cfg.Conns * b.cfg.PerConn
	// Long enough that no lease expires during the row, even on a
	// struggling server.
	ttl := int64((b.cfg.Warmup + b.cfg.Duration + rowGrace + time.Minute).Seconds())
	leases := make([]clientv3.LeaseID, n)
	err := parallel(n, func(i int) error {
		resp, err := b.conn(i, n).Grant(ctx, ttl)
		if err != nil {
			return fmt.Errorf("benchcoord: grant a lease: %w", err)
		}
		leases[i] = resp.ID
		return nil
	})
	defer b.revoke(leases)
	if err != nil {
		return Result{}, err
	}
	w := newWindow(b.cfg)
	t := closedLoop(ctx, w, n, elapsed(func(ctx context.Context, worker int, _ *rand.Rand) error {
		resp, err := b.conn(worker, n).KeepAliveOnce(ctx, leases[worker])
		if err != nil {
			return err
		}
		if resp.TTL <= 0 {
			return fmt.Errorf("benchcoord: lease %x expired", leases[worker])
		}
		return nil
	}))
	return t.result(b.cfg, RowKeepAlive, w, n), nil
}

// revoke revokes the leases granted (best effort: they expire anyway), so
// that later rows do not share the server with them.
func (b *bench) revoke(leases []clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	_ = parallel(len(leases), func(i int) error {
		if leases[i] != clientv3.NoLease {
			_, _ = b.conn(i, len(leases)).Revoke(ctx, leases[i])
		}
		return nil
	})
}
