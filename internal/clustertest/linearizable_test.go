package clustertest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// workload runs clients that put unique values and read keys (linearizable
// gets) until stop is closed, each client talking to one node, so that
// forwarding from followers is exercised. It records everything in h.
func workload(t *testing.T, c *Cluster, h *History, clients int, keys int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	var seq atomic.Int64
	for i := range clients {
		cli := c.Client(c.Node(i % len(c.Nodes())))
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				in := KVInput{Key: fmt.Sprintf("k%d", rng.IntN(keys))}
				if rng.IntN(2) == 0 {
					in.Put, in.Value = true, fmt.Sprintf("v%d", seq.Add(1))
				}
				call := h.Call()
				out, failed := do(cli, in)
				if failed {
					// Refused before it was proposed: it did not happen.
					pause(50*time.Millisecond, stop)
					continue
				}
				h.Done(i, in, call, out)
				if out.Unknown {
					// Back off, so a client cut off from the cluster does
					// not fill the history with undecidable puts.
					pause(100*time.Millisecond, stop)
				}
			}
		})
	}
	return &wg
}

// do runs one operation with a short deadline. failed reports a request
// refused before it was proposed ("no leader": Triad answers it only
// without proposing); any other error makes the outcome unknown.
func do(cli *clientv3.Client, in KVInput) (out KVOutput, failed bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if in.Put {
		_, err := cli.Put(ctx, in.Key, in.Value)
		switch {
		case errors.Is(err, rpctypes.ErrNoLeader):
			return KVOutput{}, true
		case err != nil:
			return KVOutput{Unknown: true}, false
		}
		return KVOutput{}, false
	}
	resp, err := cli.Get(ctx, in.Key)
	if err != nil {
		return KVOutput{Unknown: true}, false
	}
	if len(resp.Kvs) == 0 {
		return KVOutput{}, false
	}
	return KVOutput{Value: string(resp.Kvs[0].Value)}, false
}

// checkLinearizable runs porcupine with a time limit. A timeout is
// reported, not failed: it means the checker could not decide in time.
func checkLinearizable(t *testing.T, h *History) {
	t.Helper()
	ops, unknown := h.Counts()
	t.Logf("history: %d operations, %d puts with unknown outcome", ops, unknown)
	res, info := porcupine.CheckOperationsVerbose(KVModel, h.Operations(), 60*time.Second)
	switch res {
	case porcupine.Ok:
	case porcupine.Unknown:
		t.Logf("porcupine could not decide within its time limit")
	default:
		path := filepath.Join(t.TempDir(), "history.html")
		if f, err := os.Create(path); err == nil {
			_ = porcupine.Visualize(KVModel, info, f)
			f.Close()
		}
		t.Fatalf("history is not linearizable (visualization: %s)", path)
	}
}

func pause(d time.Duration, stop <-chan struct{}) bool {
	select {
	case <-time.After(d):
		return true
	case <-stop:
		return false
	}
}

// TestLinearizableUnderFaults writes and reads through every node while
// the leader is isolated, followers are stopped and restarted, and the
// leader is stopped; the recorded history must be linearizable and every
// acknowledged write must survive.
func TestLinearizableUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster fault test")
	}
	c := New(t, 3, Options{})
	h := NewHistory()
	stop := make(chan struct{})
	wg := workload(t, c, h, 4, 4, stop)

	faults := []struct {
		name string
		do   func()
	}{
		{"isolate the leader", func() {
			ld := c.Leader()
			c.Isolate(ld)
			pause(1500*time.Millisecond, nil)
			c.Heal()
		}},
		{"restart a follower", func() {
			ld := c.Leader()
			for _, nd := range c.Nodes() {
				if nd != ld {
					nd.Stop()
					pause(500*time.Millisecond, nil)
					nd.Start()
					return
				}
			}
		}},
		{"restart the leader", func() {
			ld := c.Leader()
			ld.Stop()
			pause(time.Second, nil)
			ld.Start()
		}},
		{"partition leader from one follower", func() {
			ld := c.Leader()
			for _, nd := range c.Nodes() {
				if nd != ld {
					c.Partition(ld, nd)
					break
				}
			}
			pause(1500*time.Millisecond, nil)
			c.Heal()
		}},
	}
	pause(300*time.Millisecond, nil)
	for _, f := range faults {
		t.Log("fault:", f.name)
		f.do()
		pause(500*time.Millisecond, nil)
	}
	close(stop)
	wg.Wait()

	// Final reads, after healing, pin down every key's last value.
	cli := c.Client()
	for k := range 4 {
		in := KVInput{Key: fmt.Sprintf("k%d", k)}
		deadline := time.Now().Add(20 * time.Second)
		for {
			call := h.Call()
			out, _ := do(cli, in)
			if !out.Unknown {
				h.Done(99, in, call, out)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster did not recover: get %s keeps failing", in.Key)
			}
		}
	}
	checkLinearizable(t, h)
}

// TestRestartFromOwnData stops every node, restarts them all from their
// data directories and finds every acknowledged write.
func TestRestartFromOwnData(t *testing.T) {
	c := New(t, 3, Options{})
	cli := c.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 50 {
		if _, err := cli.Put(ctx, fmt.Sprintf("key%02d", i), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	c.StopAll()
	for _, nd := range c.Nodes() {
		nd.Start()
	}
	c.Leader()
	cli = c.Client()
	resp, err := cli.Get(ctx, "key", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 50 {
		t.Fatalf("after restart: %d keys, want 50", len(resp.Kvs))
	}
	for i, kv := range resp.Kvs {
		if string(kv.Value) != fmt.Sprint(i) {
			t.Fatalf("key%02d = %s", i, kv.Value)
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("too slow")
	}
}
