package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"triad/internal/benchqueue"
)

func runQueue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("triad-bench queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg     benchqueue.Config
		brokers = fs.String("brokers", "", "comma-separated Kafka bootstrap addresses (host:port), to drive Triad with franz-go")
		rows    = fs.String("rows", "", "comma-separated rows to run, in order (default: "+strings.Join(benchqueue.Rows, ",")+
			" with a system, "+strings.Join(benchqueue.LimitRows, ",")+" without one)")
		asJSON = fs.Bool("json", false, "print one JSON object per row instead of text")
	)
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "NATS server URL, to drive JetStream with nats.go instead")
	fs.StringVar(&cfg.System, "system", "", "label of the system under test in the output (default kafka, nats or machine)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "counted time per row (default 10s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "warm-up per row before counting (default 1s)")
	fs.IntVar(&cfg.Window, "window", 0, "records in flight per producer (default 4096)")
	fs.DurationVar(&cfg.Linger, "linger", 0, "kgo producer linger (default 0)")
	fs.IntVar(&cfg.Rate, "rate", 0, "e2e rows' producer rate in bytes/s (default 20000000)")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory on the filesystem the disk row measures (default $TMPDIR)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *brokers != "" {
		cfg.Brokers = strings.Split(*brokers, ",")
	}
	if *rows != "" {
		cfg.Rows = strings.Split(*rows, ",")
	}

	if err := benchqueue.Run(ctx, cfg, printer[benchqueue.Result](stdout, *asJSON)); err != nil {
		fmt.Fprintln(stderr, "triad-bench queue:", err)
		if errors.Is(err, benchqueue.ErrConfig) {
			return 2
		}
		return 1
	}
	return 0
}
