package benchqueue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// e2eDrain is how long the consumer keeps waiting, after the last send was
// acknowledged, for records not yet received.
const e2eDrain = 5 * time.Second

// errLost reports records acknowledged but never received.
var errLost = errors.New("benchqueue: acknowledged records not received")

// e2eRow paces a producer at Config.Rate bytes/s into a fresh topic that a
// consumer tails from its start; latency is receive − send time for the
// records sent inside the counted window.
func (b *bench) e2eRow(ctx context.Context, r row) (Result, error) {
	st, err := b.freshTopic(ctx, r)
	if err != nil {
		return Result{}, err
	}
	w := newWindow(b.cfg)
	t := &tally{} // the consumer's: records received, latency
	var received atomic.Int64
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	consumed := make(chan error, 1)
	go func() {
		consumed <- b.drv.consume(cctx, st.name, r.partitions, func(v []byte) bool {
			now := time.Now()
			if sent, _, ok := stamp(v); ok && w.counted(sent) {
				t.count(len(v))
				t.lat.add(now.Sub(sent))
				received.Add(1)
			}
			return true
		})
	}()

	sends := &tally{} // the producer's errors
	var ackedInWindow atomic.Int64
	recs := newRecords(r.size)
	onAck := func(v []byte, err error) {
		if err != nil {
			sends.fail(err)
		} else if sent, _, ok := stamp(v); ok && w.counted(sent) {
			ackedInWindow.Add(1)
		}
		recs.put(v)
	}
	p, err := b.drv.newProducer(ctx, st.name, onAck)
	if err != nil {
		return Result{}, err
	}
	defer p.close()
	b.paced(ctx, r, p, recs, w, sends)
	if err := p.flush(ctx); err != nil {
		return Result{}, fmt.Errorf("benchqueue: %s: %w", r.name, err)
	}

	// Wait for the consumer to catch up with every acknowledged record.
	want := ackedInWindow.Load()
	deadline := time.Now().Add(e2eDrain)
	tick := time.NewTicker(time.Millisecond)
	for received.Load() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-tick.C:
		case err := <-consumed:
			consumed <- err // keep it for below
			deadline = time.Now()
		}
	}
	tick.Stop()
	stopConsumer()
	if err := <-consumed; err != nil && !errors.Is(err, context.Canceled) {
		t.fail(fmt.Errorf("benchqueue: consumer: %w", err))
	}
	if got := received.Load(); got < want {
		t.failN(want-got, fmt.Errorf("%w: %d of %d", errLost, want-got, want))
	}
	if e := sends.firstErr.Load(); e != nil {
		t.failN(sends.errors.Load(), *e)
	}
	return t.result(b.cfg, r, w.end.Sub(w.start).Seconds()), nil
}

// paced sends records at Config.Rate bytes/s until w ends: every record due
// by now, then a sleep until the next one is due (timers are coarser than
// the gap between records, so records go out in small bursts).
func (b *bench) paced(ctx context.Context, r row, p producer, recs *records, w window, t *tally) {
	pace := newPacer(time.Now(), float64(b.cfg.Rate)/float64(r.size))
	timer := time.NewTimer(0)
	defer timer.Stop()
	var seq uint64
	for {
		now := time.Now()
		if !now.Before(w.end) {
			return
		}
		for n := pace.due(now); n > 0; n-- {
			if err := p.send(ctx, int(seq%uint64(r.partitions)), recs.get(time.Now(), seq)); err != nil {
				t.fail(err)
				return
			}
			seq++
		}
		timer.Reset(time.Until(pace.next()))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}
