package app

import (
	"testing"
)

// The dev cluster's per-node configurations are valid and never share a
// port or a data directory.
func TestDevClusterConfigs(t *testing.T) {
	for _, n := range []int{1, 3, 5} {
		seen := map[string]string{}
		for i := range n {
			cfg := devConfig("dev", i, n, "warn")
			if want := []string{"127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379", "127.0.0.1:42379", "127.0.0.1:52379"}[i]; cfg.Coord.Addr != want {
				t.Fatalf("node %d etcd address %s, want %s", i+1, cfg.Coord.Addr, want)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("node %d of %d: %v", i+1, n, err)
			}
			for what, v := range map[string]string{"cache": cfg.Cache.Addr, "etcd": cfg.Coord.Addr, "peer": cfg.Coord.PeerAddr, "http": cfg.HTTP.Addr, "data": cfg.DataDir} {
				if other, dup := seen[v]; dup {
					t.Fatalf("node %d's %s %s is also %s", i+1, what, v, other)
				}
				seen[v] = what
			}
		}
	}
}
