package benchqueue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Result is one row's outcome. Its JSON form is one line of
// `triad-bench queue --json`, which scripts/bench-queue.sh joins across
// systems, so the field names are an interface.
type Result struct {
	System        string  `json:"system"`
	Row           string  `json:"row"`
	MBPerSec      float64 `json:"mb_per_sec"` // 10^6 bytes of record values (or raw bytes, limit rows)
	RecordsPerSec float64 `json:"records_per_sec"`
	// P50Ms and P99Ms: ack latency (produce), send-to-receive latency
	// (e2e), one write+fdatasync (disk); 0 where not measured.
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	Records     int64   `json:"records"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
	RecordBytes int     `json:"record_bytes,omitempty"`
	Partitions  int     `json:"partitions,omitempty"`
	Window      int     `json:"window,omitempty"`
	// Errors counts failed sends and acks (and, for consume and e2e,
	// records acknowledged but never received); FirstError is the first.
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Error is set when the row could not run at all.
	Error string `json:"error,omitempty"`
}

// String formats r as one human-readable line.
func (r Result) String() string {
	if r.Error != "" {
		return fmt.Sprintf("%-7s %-16s FAILED: %s", r.System, r.Row, r.Error)
	}
	s := fmt.Sprintf("%-7s %-16s %9.1f MB/s %11.0f rec/s  p50 %8.3f ms  p99 %8.3f ms  (%d records in %.2fs)",
		r.System, r.Row, r.MBPerSec, r.RecordsPerSec, r.P50Ms, r.P99Ms, r.Records, r.Seconds)
	if r.Errors > 0 {
		s += fmt.Sprintf("  %d errors, first: %s", r.Errors, r.FirstError)
	}
	return s
}

// ErrRowFailed is returned by Run when at least one row could not run.
var ErrRowFailed = errors.New("benchqueue: row failed")

// rowGrace bounds how long a row may overrun its window (a flush stuck on
// a broken server) before its context is cancelled.
const rowGrace = time.Minute

// topicState is what a produce row leaves for the consume row after it.
type topicState struct {
	name    string
	records int64 // acknowledged, warm-up included
}

type bench struct {
	cfg    Config
	drv    driver
	runID  string
	topics map[string]*topicState // by row.data()
}

// Run runs cfg.Rows one after another and hands each row's Result to emit
// as soon as it is known. A row that cannot run is emitted with Error set
// and the run goes on; Run then returns an error wrapping ErrRowFailed. It
// returns early only when ctx ends or the system does not answer.
func Run(ctx context.Context, cfg Config, emit func(Result)) error {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	rows := make([]row, len(cfg.Rows))
	for i, name := range cfg.Rows {
		rows[i], _ = parseRow(name) // validated
	}
	b := &bench{cfg: cfg, runID: strconv.FormatInt(time.Now().UnixNano(), 36), topics: map[string]*topicState{}}
	if slices.ContainsFunc(rows, func(r row) bool { return r.kind != kindLimit }) {
		drv, err := newDriver(ctx, cfg)
		if err != nil {
			return err
		}
		b.drv = drv
		defer drv.close()
		defer b.release(nil)
	}
	var failed []string
	for i, r := range rows {
		res, err := b.runRow(ctx, r)
		if ctx.Err() != nil {
			return fmt.Errorf("benchqueue: %s: %w", r.name, ctx.Err())
		}
		if err != nil {
			res = Result{System: cfg.System, Row: r.name, Error: err.Error()}
			failed = append(failed, r.name)
		}
		emit(res)
		b.release(rows[i+1:])
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrRowFailed, strings.Join(failed, ", "))
	}
	return nil
}

func (b *bench) runRow(ctx context.Context, r row) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Warmup+b.cfg.Duration+rowGrace)
	defer cancel()
	switch {
	case r.kind == kindProduce:
		return b.produceRow(ctx, r)
	case r.kind == kindConsume:
		return b.consumeRow(ctx, r)
	case r.kind == kindE2E:
		return b.e2eRow(ctx, r)
	case r.name == RowDisk:
		return diskRow(ctx, b.cfg)
	case r.name == RowLoopback:
		return loopbackRow(ctx, b.cfg)
	}
	return Result{}, fmt.Errorf("%w: unknown row %q", ErrConfig, r.name)
}

// freshTopic creates an empty topic for r, replacing (and deleting) any
// earlier one with the same data.
func (b *bench) freshTopic(ctx context.Context, r row) (*topicState, error) {
	if old, ok := b.topics[r.data()]; ok {
		delete(b.topics, r.data())
		_ = b.drv.deleteTopic(ctx, old.name) // best effort: only disk space is at stake
	}
	st := &topicState{name: "triad-bench-" + r.name + "-" + b.runID}
	if err := b.drv.createTopic(ctx, st.name, r.partitions); err != nil {
		return nil, err
	}
	b.topics[r.data()] = st
	return st, nil
}

// release deletes the topics no row in rest reads (all of them when rest is
// empty), so that a long run does not fill the disk.
func (b *bench) release(rest []row) {
	for data, st := range b.topics {
		if slices.ContainsFunc(rest, func(r row) bool { return r.kind == kindConsume && r.data() == data }) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		_ = b.drv.deleteTopic(ctx, st.name) // best effort
		cancel()
		delete(b.topics, data)
	}
}

// window is a row's counted interval [start, end); before start is warm-up.
type window struct{ start, end time.Time }

func newWindow(cfg Config) window {
	start := time.Now().Add(cfg.Warmup)
	return window{start: start, end: start.Add(cfg.Duration)}
}

// counted reports whether an event at t belongs to the window.
func (w window) counted(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

// tally collects one row's outcome from the clients' goroutines.
type tally struct {
	records, bytes atomic.Int64
	errors         atomic.Int64
	firstErr       atomic.Pointer[error]
	lat            samples
}

func (t *tally) count(bytes int) {
	t.records.Add(1)
	t.bytes.Add(int64(bytes))
}

func (t *tally) fail(err error) { t.failN(1, err) }

// failN counts n failures described by err.
func (t *tally) failN(n int64, err error) {
	t.errors.Add(n)
	t.firstErr.CompareAndSwap(nil, &err)
}

// result turns the tally into a Result over secs seconds.
func (t *tally) result(cfg Config, r row, secs float64) Result {
	p50, p99 := t.lat.percentiles()
	res := Result{
		System:      cfg.System,
		Row:         r.name,
		Records:     t.records.Load(),
		Bytes:       t.bytes.Load(),
		Seconds:     secs,
		P50Ms:       ms(p50),
		P99Ms:       ms(p99),
		RecordBytes: r.size,
		Partitions:  r.partitions,
		Errors:      t.errors.Load(),
	}
	if r.kind != kindLimit {
		res.Window = cfg.Window
	}
	if secs > 0 {
		res.RecordsPerSec = float64(res.Records) / secs
		res.MBPerSec = float64(res.Bytes) / secs / 1e6
	}
	if e := t.firstErr.Load(); e != nil {
		res.FirstError = (*e).Error()
	}
	return res
}
