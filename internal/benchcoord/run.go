package benchcoord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Result is one row's outcome. Its JSON form is one line of
// `triad-bench coord --json`, which scripts/bench-coord.sh joins across
// systems, so the field names are an interface.
type Result struct {
	System    string  `json:"system"`
	Row       string  `json:"row"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	Clients   int     `json:"clients"`
	Endpoints int     `json:"endpoints"`
	// Errors counts failed requests (and, for watch, events never
	// received; for lock, mutual-exclusion violations); FirstError is the
	// first of them.
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Error is set when the row could not run at all (its set-up failed).
	Error string `json:"error,omitempty"`
}

// String formats r as one human-readable line.
func (r Result) String() string {
	if r.Error != "" {
		return fmt.Sprintf("%-6s %-9s FAILED: %s", r.System, r.Row, r.Error)
	}
	s := fmt.Sprintf("%-6s %-9s %10.1f ops/s  p50 %8.3f ms  p99 %8.3f ms  (%d ops, %d clients, %d endpoints)",
		r.System, r.Row, r.OpsPerSec, r.P50Ms, r.P99Ms, r.Ops, r.Clients, r.Endpoints)
	if r.Errors > 0 {
		s += fmt.Sprintf("  %d errors, first: %s", r.Errors, r.FirstError)
	}
	return s
}

// ErrRowFailed is returned by Run when at least one row could not run.
var ErrRowFailed = errors.New("benchcoord: row failed")

// dialTimeout bounds connecting and the first request to each endpoint.
const dialTimeout = 10 * time.Second

// bench is one run's shared state: the connections and what earlier rows
// left behind for later ones.
type bench struct {
	cfg   Config
	conns []*clientv3.Client
	value string // ValueSize bytes, shared by every Put

	readKeysOnce sync.Once
	readKeysErr  error
}

// Run runs cfg.Rows one after another against cfg.Endpoints and hands each
// row's Result to emit as soon as it is known. A row that cannot run is
// emitted with Error set and the run goes on; Run then returns an error
// wrapping ErrRowFailed. It returns early only when ctx ends or no
// endpoint answers.
func Run(ctx context.Context, cfg Config, emit func(Result)) error {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	b := &bench{cfg: cfg, value: strings.Repeat("v", cfg.ValueSize)}
	defer b.close()
	if err := b.dial(ctx); err != nil {
		return err
	}
	var failed []string
	for _, row := range cfg.Rows {
		r, err := b.runRow(ctx, row)
		if ctx.Err() != nil {
			return fmt.Errorf("benchcoord: %s: %w", row, ctx.Err())
		}
		if err != nil {
			r = Result{System: cfg.System, Row: row, Endpoints: len(cfg.Endpoints), Error: err.Error()}
			failed = append(failed, row)
		}
		emit(r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrRowFailed, strings.Join(failed, ", "))
	}
	return nil
}

func (b *bench) runRow(ctx context.Context, row string) (Result, error) {
	// The row's own deadline keeps a request stuck on a broken server from
	// hanging the run; every row ends well before it.
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Warmup+b.cfg.Duration+rowGrace+time.Minute)
	defer cancel()
	switch row {
	case RowPut1:
		return b.put1(ctx)
	case RowPut100:
		return b.put100(ctx)
	case RowGetLin:
		return b.get(ctx, RowGetLin)
	case RowGetSer:
		return b.get(ctx, RowGetSer, clientv3.WithSerializable())
	case RowKeepAlive:
		return b.keepAlive(ctx)
	case RowWatch:
		return b.watch(ctx)
	case RowLock:
		return b.lock(ctx)
	}
	return Result{}, fmt.Errorf("%w: unknown row %q", ErrConfig, row)
}

// dial opens cfg.Conns connections, connection i to endpoint i mod n, and
// checks that each answers a read.
func (b *bench) dial(ctx context.Context) error {
	for i := range b.cfg.Conns {
		ep := b.cfg.Endpoints[i%len(b.cfg.Endpoints)]
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   []string{ep},
			DialTimeout: dialTimeout,
			Logger:      zap.NewNop(), // the client's retries would otherwise log to stderr
			Context:     ctx,
		})
		if err != nil {
			return fmt.Errorf("benchcoord: connect to %s: %w", ep, err)
		}
		b.conns = append(b.conns, c)
	}
	return parallel(len(b.conns), func(i int) error {
		ctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if _, err := b.conns[i].Get(ctx, b.cfg.Prefix+"ping"); err != nil {
			return fmt.Errorf("benchcoord: first read from %s: %w", b.conns[i].Endpoints()[0], err)
		}
		return nil
	})
}

func (b *bench) close() {
	for _, c := range b.conns {
		c.Close()
	}
}

// conn returns the connection of worker i among workers that share the
// connections evenly (PerConn each in the 100-client rows).
func (b *bench) conn(worker, workers int) *clientv3.Client {
	return b.conns[worker*len(b.conns)/workers]
}

// parallel runs f(0) … f(n-1) concurrently and returns the first error.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
