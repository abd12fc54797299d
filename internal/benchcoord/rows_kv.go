package benchcoord

import (
	"context"
	"fmt"
	"math/rand/v2"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// readBatch is how many Puts one Txn carries when the get rows' keys are
// written: below etcd's default --max-txn-ops (128), so etcd accepts it too.
const readBatch = 100

func (b *bench) putKey(rng *rand.Rand) string {
	return fmt.Sprintf("%sput/%06d", b.cfg.Prefix, rng.IntN(b.cfg.Keyspace))
}

func (b *bench) readKey(i int) string { return fmt.Sprintf("%sget/%06d", b.cfg.Prefix, i) }

// put1 is one client doing sequential Puts: the latency of one write,
// commit and fsync included, with nothing to batch it with.
func (b *bench) put1(ctx context.Context) (Result, error) {
	c := b.conns[0]
	w := newWindow(b.cfg)
	t := closedLoop(ctx, w, 1, elapsed(func(ctx context.Context, _ int, rng *rand.Rand) error {
		_, err := c.Put(ctx, b.putKey(rng), b.value)
		return err
	}))
	return t.result(b.cfg, RowPut1, w, 1), nil
}

// put100 is Conns×PerConn clients doing Puts: throughput under load, where
// group commit pays off.
func (b *bench) put100(ctx context.Context) (Result, error) {
	n := b.cfg.Conns * b.cfg.PerConn
	w := newWindow(b.cfg)
	t := closedLoop(ctx, w, n, elapsed(func(ctx context.Context, worker int, rng *rand.Rand) error {
		_, err := b.conn(worker, n).Put(ctx, b.putKey(rng), b.value)
		return err
	}))
	return t.result(b.cfg, RowPut100, w, n), nil
}

// get is Conns×PerConn clients reading keys written beforehand, with opts
// (WithSerializable for get-ser). A read that finds no key counts as an
// error: the keys are there, so the server answered wrong.
func (b *bench) get(ctx context.Context, row string, opts ...clientv3.OpOption) (Result, error) {
	if err := b.writeReadKeys(ctx); err != nil {
		return Result{}, err
	}
	n := b.cfg.Conns * b.cfg.PerConn
	w := newWindow(b.cfg)
	t := closedLoop(ctx, w, n, elapsed(func(ctx context.Context, worker int, rng *rand.Rand) error {
		key := b.readKey(rng.IntN(b.cfg.ReadKeys))
		resp, err := b.conn(worker, n).Get(ctx, key, opts...)
		if err != nil {
			return err
		}
		if len(resp.Kvs) != 1 {
			return fmt.Errorf("benchcoord: get %s: %d keys, want 1", key, len(resp.Kvs))
		}
		return nil
	}))
	return t.result(b.cfg, row, w, n), nil
}

// writeReadKeys writes the get rows' keys once per run, in Txns of
// readBatch Puts spread over the connections, so that it takes a moment
// even on a slow disk.
func (b *bench) writeReadKeys(ctx context.Context) error {
	b.readKeysOnce.Do(func() {
		batches := (b.cfg.ReadKeys + readBatch - 1) / readBatch
		next := make(chan int, batches)
		for i := range batches {
			next <- i
		}
		close(next)
		b.readKeysErr = parallel(len(b.conns), func(c int) error {
			for batch := range next {
				var ops []clientv3.Op
				for k := batch * readBatch; k < min((batch+1)*readBatch, b.cfg.ReadKeys); k++ {
					ops = append(ops, clientv3.OpPut(b.readKey(k), b.value))
				}
				if _, err := b.conns[c].Txn(ctx).Then(ops...).Commit(); err != nil {
					return fmt.Errorf("benchcoord: write the keys to read: %w", err)
				}
			}
			return nil
		})
	})
	return b.readKeysErr
}
