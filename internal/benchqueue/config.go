package benchqueue

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Config describes one benchmark run against one system. The zero value of
// every field means its default (see Defaults).
type Config struct {
	// Brokers are Kafka bootstrap addresses (host:port); set them to drive
	// a Kafka API (Triad) with franz-go.
	Brokers []string
	// NATSURL is a NATS server URL (nats://127.0.0.1:4222); set it instead
	// of Brokers to drive JetStream with nats.go.
	NATSURL string
	// System labels the results; default "kafka" with Brokers, "nats" with
	// NATSURL, "machine" with neither (only the limit rows can run then).
	System string
	// Rows to run, in this order; default Rows with a system, LimitRows
	// without one.
	Rows []string
	// Duration of each row's counted window (and of a consume row's fill,
	// and of the limit rows); default 10s.
	Duration time.Duration
	// Warmup before each row's counted window; default 1s.
	Warmup time.Duration
	// Window is the number of records a producer may have sent and not yet
	// seen acknowledged (kgo's MaxBufferedRecords, JetStream's
	// PublishAsyncMaxPending); default 4096, JetStream's own default.
	Window int
	// Linger is kgo's ProducerLinger; default 0 (kgo's own is 10ms), so
	// latency is not traded for batching: batches still form while the
	// previous produce requests are in flight.
	Linger time.Duration
	// Rate is the e2e rows' producer rate in bytes per second; default
	// 20 MB/s (20·10^6).
	Rate int
	// DataDir is where the disk row writes its file; default os.TempDir().
	// Point it at the filesystem the servers keep their data on.
	DataDir string
}

// Row names of a full run, in order.
var (
	// Rows are the rows that drive a system.
	Rows = []string{
		"produce-100b-1p", "produce-100b-12p", "produce-1k-1p", "produce-1k-12p",
		"consume-100b-1p", "consume-100b-12p", "consume-1k-1p", "consume-1k-12p",
		"e2e-1k-1p",
	}
	// LimitRows measure the machine itself.
	LimitRows = []string{RowDisk, RowLoopback}
)

// ErrConfig is wrapped by every validation error.
var ErrConfig = errors.New("benchqueue: invalid config")

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if c.System == "" {
		switch {
		case len(c.Brokers) > 0:
			c.System = "kafka"
		case c.NATSURL != "":
			c.System = "nats"
		default:
			c.System = "machine"
		}
	}
	if len(c.Rows) == 0 {
		if c.hasSystem() {
			c.Rows = slices.Clone(Rows)
		} else {
			c.Rows = slices.Clone(LimitRows)
		}
	}
	setDefault(&c.Duration, 10*time.Second)
	setDefault(&c.Warmup, time.Second)
	setDefault(&c.Window, 4096)
	setDefault(&c.Rate, 20_000_000)
	setDefault(&c.DataDir, os.TempDir())
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c Config) hasSystem() bool { return len(c.Brokers) > 0 || c.NATSURL != "" }

// Validate reports the first problem with c (after Defaults).
func (c Config) Validate() error {
	switch {
	case len(c.Brokers) > 0 && c.NATSURL != "":
		return fmt.Errorf("%w: both brokers and a NATS URL: one system at a time", ErrConfig)
	case c.Duration <= 0 || c.Warmup < 0 || c.Linger < 0:
		return fmt.Errorf("%w: duration must be positive, warm-up and linger not negative", ErrConfig)
	case c.Window < 1 || c.Rate < 1:
		return fmt.Errorf("%w: window and rate must be at least 1", ErrConfig)
	}
	for _, name := range c.Rows {
		r, err := parseRow(name)
		if err != nil {
			return err
		}
		if r.kind != kindLimit && !c.hasSystem() {
			return fmt.Errorf("%w: row %s needs --brokers or --nats-url", ErrConfig, name)
		}
	}
	return nil
}
