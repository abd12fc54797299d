package benchcoord

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config describes one benchmark run against one system. The zero value of
// every field but Endpoints means its default (see Defaults).
type Config struct {
	// Endpoints are the client URLs (http://127.0.0.1:2379 or host:port).
	Endpoints []string
	// System labels the results ("etcd", "triad"); it is not interpreted.
	System string
	// Rows to run, in this order; default: all of Rows.
	Rows []string
	// Duration of the counted window of each row; default 10s.
	Duration time.Duration
	// Warmup before each row's counted window; default 1s. Short runs
	// should shorten it too, hence a separate knob.
	Warmup time.Duration
	// Conns is the number of clientv3.Client connections for the
	// multi-client rows; default 10.
	Conns int
	// PerConn is the number of goroutines per connection; default 10, so
	// 100 clients in all.
	PerConn int
	// ValueSize is the size of each Put's value in bytes; default 256.
	ValueSize int
	// Keyspace is the number of distinct keys the put rows write; default 100,000.
	Keyspace int
	// ReadKeys is the number of keys written before the get rows, which
	// then read them at random; default 10,000.
	ReadKeys int
	// WatchRate is the watch row's writer rate in Puts per second; default 1000.
	WatchRate int
	// LockWorkers is the number of sessions contending in the lock row; default 10.
	LockWorkers int
	// Prefix is put before every key the benchmark touches; default "/triad-bench/".
	Prefix string
}

// Row names, in the order a full run uses.
const (
	RowPut1      = "put-1"
	RowPut100    = "put-100"
	RowGetLin    = "get-lin"
	RowGetSer    = "get-ser"
	RowKeepAlive = "keepalive"
	RowWatch     = "watch"
	RowLock      = "lock"
)

// Rows lists every row, in the order of a full run.
var Rows = []string{RowPut1, RowPut100, RowGetLin, RowGetSer, RowKeepAlive, RowWatch, RowLock}

// ErrConfig is wrapped by every validation error.
var ErrConfig = errors.New("benchcoord: invalid config")

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if len(c.Rows) == 0 {
		c.Rows = slices.Clone(Rows)
	}
	setDefault(&c.Duration, 10*time.Second)
	setDefault(&c.Warmup, time.Second)
	setDefault(&c.Conns, 10)
	setDefault(&c.PerConn, 10)
	setDefault(&c.ValueSize, 256)
	setDefault(&c.Keyspace, 100_000)
	setDefault(&c.ReadKeys, 10_000)
	setDefault(&c.WatchRate, 1000)
	setDefault(&c.LockWorkers, 10)
	setDefault(&c.Prefix, "/triad-bench/")
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports the first problem with c (after Defaults).
func (c Config) Validate() error {
	switch {
	case len(c.Endpoints) == 0:
		return fmt.Errorf("%w: no endpoints", ErrConfig)
	case c.Duration < 0 || c.Warmup < 0:
		return fmt.Errorf("%w: negative duration or warm-up", ErrConfig)
	case c.Conns < 1 || c.PerConn < 1 || c.LockWorkers < 1:
		return fmt.Errorf("%w: conns, per-conn and lock workers must be at least 1", ErrConfig)
	case c.ValueSize < 16:
		// The watch row stores its send time in the value's first bytes.
		return fmt.Errorf("%w: value size %d is below 16 bytes", ErrConfig, c.ValueSize)
	case c.Keyspace < 1 || c.ReadKeys < 1 || c.WatchRate < 1:
		return fmt.Errorf("%w: keyspace, read keys and watch rate must be at least 1", ErrConfig)
	}
	for _, r := range c.Rows {
		if !slices.Contains(Rows, r) {
			return fmt.Errorf("%w: unknown row %q (rows: %v)", ErrConfig, r, Rows)
		}
	}
	return nil
}
