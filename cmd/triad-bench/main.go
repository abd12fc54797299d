// Command triad-bench drives side-by-side benchmarks. Its subcommands each
// print one line per row: readable text, or JSON lines with --json for the
// scripts to join across systems.
//
// coord runs internal/benchcoord's rows against any etcd v3 endpoints (etcd
// or Triad), for scripts/bench-coord.sh:
//
//	triad-bench coord --endpoints URL[,URL…] --system NAME [--rows put-1,…] [--duration 10s] [--json]
//
// queue runs internal/benchqueue's rows against a Kafka API (Triad) or NATS
// JetStream, or measures the machine's limits with neither, for
// scripts/bench-queue.sh (queue.go):
//
//	triad-bench queue (--brokers HOST:PORT[,…] | --nats-url URL) [--system NAME] [--rows produce-1k-1p,…] [--json]
//	triad-bench queue --rows disk,loopback --data-dir DIR [--json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"triad/internal/benchcoord"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: triad-bench coord --endpoints URL[,URL…] --system NAME [flags]
       triad-bench queue (--brokers HOST:PORT[,…] | --nats-url URL) [flags]
       (triad-bench coord -h, triad-bench queue -h for the flags)`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "coord":
			return runCoord(ctx, args, stdout, stderr)
		case "queue":
			return runQueue(ctx, args, stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

func runCoord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("triad-bench coord", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg       benchcoord.Config
		endpoints = fs.String("endpoints", "", "comma-separated etcd v3 client URLs (required)")
		rows      = fs.String("rows", strings.Join(benchcoord.Rows, ","), "comma-separated rows to run, in order")
		asJSON    = fs.Bool("json", false, "print one JSON object per row instead of text")
	)
	fs.StringVar(&cfg.System, "system", "", "label of the system under test in the output (etcd, triad…)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "counted time per row (default 10s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "warm-up per row before counting (default 1s)")
	fs.IntVar(&cfg.Conns, "conns", 0, "client connections for the multi-client rows (default 10)")
	fs.IntVar(&cfg.PerConn, "per-conn", 0, "goroutines per connection (default 10)")
	fs.IntVar(&cfg.WatchRate, "watch-rate", 0, "Puts per second in the watch row (default 1000)")
	fs.IntVar(&cfg.LockWorkers, "lock-workers", 0, "contending sessions in the lock row (default 10)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *endpoints == "" {
		fmt.Fprintln(stderr, "triad-bench coord: --endpoints is required")
		return 2
	}
	cfg.Endpoints = strings.Split(*endpoints, ",")
	cfg.Rows = strings.Split(*rows, ",")

	if err := benchcoord.Run(ctx, cfg, printer[benchcoord.Result](stdout, *asJSON)); err != nil {
		fmt.Fprintln(stderr, "triad-bench coord:", err)
		return 1
	}
	return 0
}

// parse parses a subcommand's flags (args[1:]); when it returns false the
// command ends with the code (0 after -h, 2 for a bad flag).
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// printer is the callback a benchmark's Run calls with each row: a line of
// text, or with --json one JSON object per line.
func printer[R any](w io.Writer, asJSON bool) func(R) {
	enc := json.NewEncoder(w)
	return func(r R) {
		if asJSON {
			_ = enc.Encode(r)
		} else {
			fmt.Fprintln(w, r)
		}
	}
}
