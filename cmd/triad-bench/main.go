// Command triad-bench drives side-by-side benchmarks. Its one subcommand,
// coord, runs internal/benchcoord's rows against any etcd v3 endpoints
// (etcd or Triad) and prints one line per row: readable text, or JSON lines
// with --json for scripts/bench-coord.sh to join across systems.
//
//	triad-bench coord --endpoints URL[,URL…] --system NAME [--rows put-1,…] [--duration 10s] [--json]
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

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "coord" {
		fmt.Fprintln(stderr, "usage: triad-bench coord --endpoints URL[,URL…] --system NAME [flags]  (triad-bench coord -h for the flags)")
		return 2
	}
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
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *endpoints == "" {
		fmt.Fprintln(stderr, "triad-bench coord: --endpoints is required")
		return 2
	}
	cfg.Endpoints = strings.Split(*endpoints, ",")
	cfg.Rows = strings.Split(*rows, ",")

	enc := json.NewEncoder(stdout)
	err := benchcoord.Run(ctx, cfg, func(r benchcoord.Result) {
		if *asJSON {
			_ = enc.Encode(r) // one line per row
		} else {
			fmt.Fprintln(stdout, r)
		}
	})
	if err != nil {
		fmt.Fprintln(stderr, "triad-bench coord:", err)
		return 1
	}
	return 0
}
