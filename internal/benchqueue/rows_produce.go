package benchqueue

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// produceRow sends as fast as the window allows and counts the records
// acknowledged inside the counted window.
func (b *bench) produceRow(ctx context.Context, r row) (Result, error) {
	st, err := b.freshTopic(ctx, r)
	if err != nil {
		return Result{}, err
	}
	w := newWindow(b.cfg)
	t := &tally{}
	if err := b.produce(ctx, r, st, w, t); err != nil {
		return Result{}, err
	}
	return t.result(b.cfg, r, w.end.Sub(w.start).Seconds()), nil
}

// produce runs one producer on st until w ends, records into t the acks
// that arrive inside w (with their latency), waits for every ack and adds
// the acknowledged records to st.records.
func (b *bench) produce(ctx context.Context, r row, st *topicState, w window, t *tally) error {
	recs := newRecords(r.size)
	var acked atomic.Int64
	onAck := func(v []byte, err error) {
		now := time.Now()
		if err != nil {
			t.fail(err)
		} else {
			acked.Add(1)
			if w.counted(now) {
				t.count(len(v))
				if sent, _, ok := stamp(v); ok {
					t.lat.add(now.Sub(sent))
				}
			}
		}
		recs.put(v)
	}
	p, err := b.drv.newProducer(ctx, st.name, onAck)
	if err != nil {
		return err
	}
	defer p.close()
	for seq := uint64(0); ctx.Err() == nil; seq++ {
		now := time.Now()
		if !now.Before(w.end) {
			break
		}
		if err := p.send(ctx, int(seq%uint64(r.partitions)), recs.get(now, seq)); err != nil {
			t.fail(err) // a client that refuses to send will not recover within the row
			break
		}
	}
	err = p.flush(ctx)
	st.records += acked.Load()
	if err != nil {
		return fmt.Errorf("benchqueue: %s: %w", r.name, err)
	}
	return nil
}
