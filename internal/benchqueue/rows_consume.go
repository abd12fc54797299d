package benchqueue

import (
	"context"
	"fmt"
	"time"
)

// consumeRow reads back, from the start, what the produce row with the
// same data wrote (or fills a topic first when that row did not run) and
// reports the rate from the consumer's creation to the last record.
func (b *bench) consumeRow(ctx context.Context, r row) (Result, error) {
	st, ok := b.topics[r.data()]
	if !ok || st.records == 0 {
		var err error
		if st, err = b.freshTopic(ctx, r); err != nil {
			return Result{}, err
		}
		fill := newWindow(Config{Duration: b.cfg.Duration})
		if err := b.produce(ctx, r, st, fill, &tally{}); err != nil {
			return Result{}, fmt.Errorf("benchqueue: filling %s: %w", st.name, err)
		}
	}
	t := &tally{}
	want := st.records
	start := time.Now()
	last := start
	err := b.drv.consume(ctx, st.name, r.partitions, func(v []byte) bool {
		t.count(len(v))
		last = time.Now()
		return t.records.Load() < want
	})
	if got := t.records.Load(); got < want {
		if err == nil {
			err = fmt.Errorf("benchqueue: consumer stopped early")
		}
		t.failN(want-got, fmt.Errorf("%d of %d records not consumed: %w", want-got, want, err))
	} else if err != nil {
		return Result{}, err
	}
	return t.result(b.cfg, r, last.Sub(start).Seconds()), nil
}
