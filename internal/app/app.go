// Package app implements the triad command line: subcommands, flags and
// logging set-up. It is a library so it can be tested without a process.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"triad/internal/config"
	"triad/internal/resp"
	"triad/internal/server"
)

// Version is set at build time with -ldflags "-X triad/internal/app.Version=…".
var Version = "dev"

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(ctx, stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "triad:", err)
		return 1
	}
	return 0
}

func newRoot(ctx context.Context, stdout, stderr io.Writer) *cobra.Command {
	resp.Version = Version
	srv := serverCommand(stdout, stderr)
	root := &cobra.Command{
		Use:           "triad",
		Short:         "Triad: a Redis-compatible cache and etcd-compatible coordination (and, to come, a Kafka-compatible queue) in one server",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          srv.RunE, // `triad` alone runs the server
	}
	config.Bind(root.Flags())
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(srv, devCommand(stdout, stderr), &cobra.Command{
		Use:   "version",
		Short: "Print Triad's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(stdout, "triad %s (%s, %s/%s; Redis %s semantics)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, resp.RedisVersion)
		},
	})
	return root
}

func serverCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a Triad node (the default command)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags(), os.Getenv)
			if err != nil {
				return err
			}
			log, err := newLogger(cfg.Log, stderr)
			if err != nil {
				return err
			}
			node, err := server.New(cfg, log)
			if err != nil {
				return err
			}
			if cfg.Procs > 0 {
				// A process-wide setting, hence here and not in server (tests
				// run several nodes in one process).
				runtime.GOMAXPROCS(cfg.Procs)
			}
			if err := node.Run(cmd.Context()); err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	config.Bind(cmd.Flags())
	return cmd
}

func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(c.Level))); err != nil {
		return nil, fmt.Errorf("log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
