package benchcoord

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchInFlight bounds the writer's outstanding Puts: at the default
// 1000/s a server would need 64ms per Put to hit it, and then the writer
// slows down rather than piling up goroutines.
const watchInFlight = 64

// watchDrain is how long the watcher keeps waiting, after the last Put was
// acknowledged, for events not yet delivered.
const watchDrain = 5 * time.Second

// errWatchLost reports events that the watcher never delivered although
// their Puts were acknowledged.
var errWatchLost = errors.New("benchcoord: watch events lost")

// watch measures event latency: one watcher on a prefix (on the first
// connection) and one writer (on the second, so on another node when there
// are several) putting at WatchRate/s with the send time in the value's
// first 8 bytes. Latency is receive − send, so it includes the Put's
// commit; ops/s is events received per second, which tracks WatchRate when
// the system keeps up.
func (b *bench) watch(ctx context.Context) (Result, error) {
	watcher, writer := b.conns[0], b.conns[1%len(b.conns)]
	prefix := b.cfg.Prefix + "watch/"
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := watcher.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	if err := watchCreated(ctx, wch); err != nil {
		return Result{}, err
	}

	w := newWindow(b.cfg)
	t := newTally(1)
	acked := make(chan int64, 1) // the writer's count of counted Puts acknowledged
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		b.receiveWatch(wch, w, t, acked)
	}()
	n := b.writeAtRate(ctx, writer, prefix, w, t)
	acked <- n
	<-recvDone
	cancel()
	return t.result(b.cfg, RowWatch, w, 2), nil
}

// watchCreated waits for the watch to be registered, so that no Put of
// the row happens before it.
func watchCreated(ctx context.Context, wch clientv3.WatchChan) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	select {
	case resp, ok := <-wch:
		switch {
		case !ok:
			return fmt.Errorf("benchcoord: watch closed before it was created")
		case resp.Err() != nil:
			return fmt.Errorf("benchcoord: create watch: %w", resp.Err())
		case !resp.Created:
			return fmt.Errorf("benchcoord: first watch response is not the creation")
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("benchcoord: create watch: %w", ctx.Err())
	}
}

// writeAtRate puts at WatchRate/s until the window ends and returns how
// many Puts sent inside the window were acknowledged.
func (b *bench) writeAtRate(ctx context.Context, c *clientv3.Client, prefix string, w window, t *tally) int64 {
	interval := time.Second / time.Duration(b.cfg.WatchRate)
	var (
		wg    sync.WaitGroup
		acked atomic.Int64
		slots = make(chan struct{}, watchInFlight)
		buf   = []byte(b.value)
	)
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := time.Now()
	for seq := 0; ; seq++ {
		select {
		case <-timer.C:
		case <-ctx.Done():
			wg.Wait()
			return acked.Load()
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue // the next round returns
		}
		sent := time.Now()
		if !sent.Before(w.end) {
			<-slots
			break
		}
		binary.BigEndian.PutUint64(buf, uint64(sent.UnixNano()))
		key, value := fmt.Sprintf("%s%04d", prefix, seq%1000), string(buf)
		wg.Go(func() {
			defer func() { <-slots }()
			if _, err := c.Put(ctx, key, value); err != nil {
				t.fail(err)
			} else if w.counted(sent) {
				acked.Add(1)
			}
		})
		// Pace from the schedule, not from now, so the rate holds even
		// when the timer fires late.
		next = next.Add(interval)
		timer.Reset(max(0, time.Until(next)))
	}
	wg.Wait()
	return acked.Load()
}

// receiveWatch records the latency of every event whose Put was sent
// inside the window. Once the writer reports its acknowledged count on
// acked, it stops when it has received as many, or after watchDrain.
func (b *bench) receiveWatch(wch clientv3.WatchChan, w window, t *tally, acked <-chan int64) {
	var (
		received int64
		want     int64 = -1
		drain    <-chan time.Time
	)
	for want < 0 || received < want {
		select {
		case resp, ok := <-wch:
			if !ok {
				t.fail(fmt.Errorf("benchcoord: watch channel closed"))
				return
			}
			now := time.Now()
			if err := resp.Err(); err != nil {
				t.fail(fmt.Errorf("benchcoord: watch: %w", err))
				continue
			}
			for _, ev := range resp.Events {
				if ev.Type != clientv3.EventTypePut || len(ev.Kv.Value) < 8 {
					continue
				}
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(ev.Kv.Value)))
				if w.counted(sent) {
					received++
					t.samples[0] = append(t.samples[0], now.Sub(sent))
				}
			}
		case want = <-acked:
			drain = time.After(watchDrain)
		case <-drain:
			t.failN(want-received, fmt.Errorf("%w: %d of %d not received %v after the last Put", errWatchLost, want-received, want, watchDrain))
			return
		}
	}
}
