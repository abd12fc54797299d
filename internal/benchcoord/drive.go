package benchcoord

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// window is a row's counted interval: operations that start in
// [start, end) are counted; those before start are warm-up.
type window struct{ start, end time.Time }

func newWindow(cfg Config) window {
	start := time.Now().Add(cfg.Warmup)
	return window{start: start, end: start.Add(cfg.Duration)}
}

// counted reports whether an operation that started at t belongs to the window.
func (w window) counted(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

// rowGrace bounds how long a row may overrun its window (a request stuck on
// a broken server) before its context is cancelled.
const rowGrace = 10 * time.Second

// tally collects one row's outcome from many goroutines: each worker owns
// its own sample slice, so recording takes no lock.
type tally struct {
	samples  [][]time.Duration
	errors   atomic.Int64
	firstErr atomic.Pointer[error]
}

func newTally(workers int) *tally { return &tally{samples: make([][]time.Duration, workers)} }

func (t *tally) fail(err error) { t.failN(1, err) }

// failN counts n failures described by err.
func (t *tally) failN(n int64, err error) {
	t.errors.Add(n)
	t.firstErr.CompareAndSwap(nil, &err)
}

// result turns the tally into the row's Result over window w.
func (t *tally) result(cfg Config, row string, w window, clients int) Result {
	n, p50, p99 := percentiles(t.samples)
	secs := w.end.Sub(w.start).Seconds()
	r := Result{
		System:    cfg.System,
		Row:       row,
		Clients:   clients,
		Endpoints: len(cfg.Endpoints),
		Ops:       int64(n),
		Seconds:   secs,
		P50Ms:     ms(p50),
		P99Ms:     ms(p99),
		Errors:    t.errors.Load(),
	}
	if secs > 0 {
		r.OpsPerSec = float64(n) / secs
	}
	if e := t.firstErr.Load(); e != nil {
		r.FirstError = (*e).Error()
	}
	return r
}

// op is one request of a closed-loop row. worker is the goroutine's index
// and rng its own generator (math/rand/v2's global one would contend).
type op func(ctx context.Context, worker int, rng *rand.Rand) error

// timedOp is an op that measures its own latency, for rows where the
// interesting part is not the whole call (the lock row times Lock only).
type timedOp func(ctx context.Context, worker int, rng *rand.Rand) (time.Duration, error)

// elapsed makes do a timedOp whose latency is the whole call.
func elapsed(do op) timedOp {
	return func(ctx context.Context, worker int, rng *rand.Rand) (time.Duration, error) {
		start := time.Now()
		err := do(ctx, worker, rng)
		return time.Since(start), err
	}
}

// closedLoop runs workers goroutines, each issuing do back to back until
// the window ends, and records the latency of those that start inside it.
func closedLoop(ctx context.Context, w window, workers int, do timedOp) *tally {
	t := newTally(workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				start := time.Now()
				if !start.Before(w.end) {
					return
				}
				lat, err := do(ctx, i, rng)
				if err != nil {
					t.fail(err)
					continue
				}
				if w.counted(start) {
					t.samples[i] = append(t.samples[i], lat)
				}
			}
		})
	}
	wg.Wait()
	return t
}
