package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"triad/internal/config"
	"triad/internal/server"
)

// devPorts are the per-node ports of `triad dev cluster`: node i (from 0)
// listens on base+step*i. etcd's client ports follow etcd's own local
// cluster convention (2379, 22379, 32379, …).
func devConfig(dir string, i, nodes int, level string) config.Config {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, fmt.Sprintf("n%d", i+1))
	cfg.Cache.Addr = fmt.Sprintf("127.0.0.1:%d", 6379+i)
	cfg.HTTP.Addr = fmt.Sprintf("127.0.0.1:%d", 8080+i)
	cfg.Coord.Name = fmt.Sprintf("n%d", i+1)
	cfg.Coord.Addr = fmt.Sprintf("127.0.0.1:%d", devEtcdPort(i))
	cfg.Coord.PeerAddr = fmt.Sprintf("127.0.0.1:%d", 7380+i)
	cfg.Queue.Addr = fmt.Sprintf("127.0.0.1:%d", 9092+i)
	cfg.Queue.BrokerID = i
	var members []string
	for j := range nodes {
		members = append(members, fmt.Sprintf("n%d=127.0.0.1:%d", j+1, 7380+j))
	}
	cfg.Coord.InitialCluster = strings.Join(members, ",")
	cfg.Coord.InitialClusterToken = "triad-dev"
	cfg.Log.Level = level
	return cfg
}

// devEtcdPort follows etcd's local-cluster convention: 2379, 22379, 32379,
// 42379, 52379.
func devEtcdPort(i int) int {
	if i == 0 {
		return 2379
	}
	return 12379 + 10000*i
}

func devCommand(stdout, stderr io.Writer) *cobra.Command {
	dev := &cobra.Command{Use: "dev", Short: "Tools for trying Triad out locally"}
	var nodes int
	var dir, level string
	cluster := &cobra.Command{
		Use:   "cluster",
		Short: "Run a local cluster of N nodes in this process (per-node ports; data under --data-dir)",
		Long: `Runs N Triad nodes in one process, each with its own ports and data directory,
forming one coordination cluster. Node i (1-based) listens on:

  cache (RESP)   127.0.0.1:6379+(i-1)
  etcd (gRPC)    127.0.0.1:2379, 22379, 32379, 42379, 52379 (etcd's local-cluster convention)
  peer (raft)    127.0.0.1:7380+(i-1)
  http           127.0.0.1:8080+(i-1)

Stop it with Ctrl-C; run it again to restart every node from its data.
Each node's cache is still standalone (cache clustering comes later).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nodes < 1 || nodes > 5 {
				return fmt.Errorf("--nodes %d: must be between 1 and 5", nodes)
			}
			var ns []*server.Node
			var endpoints []string
			for i := range nodes {
				cfg := devConfig(dir, i, nodes, level)
				if err := cfg.Validate(); err != nil {
					return err
				}
				log, err := newLogger(cfg.Log, stderr)
				if err != nil {
					return err
				}
				n, err := server.New(cfg, log.With("node", cfg.Coord.Name))
				if err != nil {
					return err
				}
				ns = append(ns, n)
				endpoints = append(endpoints, cfg.Coord.Addr)
				fmt.Fprintf(stdout, "%s: cache %s  etcd %s  kafka %s (broker %d)  peer %s  http %s  data %s\n", cfg.Coord.Name,
					cfg.Cache.Addr, cfg.Coord.Addr, cfg.Queue.Addr, cfg.Queue.BrokerID, cfg.Coord.PeerAddr, cfg.HTTP.Addr, cfg.DataDir)
			}
			fmt.Fprintf(stdout, "try: ETCDCTL_API=3 etcdctl --endpoints %s member list -w table\n", strings.Join(endpoints, ","))
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			errs := make([]error, len(ns))
			var wg sync.WaitGroup
			for i, n := range ns {
				wg.Go(func() {
					if err := n.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
						errs[i] = fmt.Errorf("n%d: %w", i+1, err)
						cancel() // one node failing to start stops the others
					}
				})
			}
			wg.Wait()
			return errors.Join(errs...)
		},
	}
	cluster.Flags().IntVar(&nodes, "nodes", 3, "number of nodes")
	cluster.Flags().StringVar(&dir, "data-dir", "triad-dev", "directory holding one data directory per node")
	cluster.Flags().StringVar(&level, "log-level", "warn", "log level: debug, info, warn, error")
	dev.AddCommand(cluster)
	return dev
}
