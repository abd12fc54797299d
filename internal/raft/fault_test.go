package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"triad/internal/storage/vfs"
	"triad/internal/storage/vfs/errorfs"
	"triad/internal/transport/memnet"
)

// TestStorageFaultsStopTheGroup: when the disk fails a sync, or fills up,
// the group stops (Status.Err, ErrGroupFailed), the entry being written is
// never applied nor acknowledged, and after a restart on what really
// reached the disk every earlier acknowledged entry is there.
func TestStorageFaultsStopTheGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule errorfs.Rule
	}{
		{"fsync error", errorfs.Rule{Op: errorfs.OpSync}},
		{"full disk", errorfs.Rule{Op: errorfs.OpWrite, AfterBytes: 1, Err: errorfs.ErrNoSpace}},
		{"short write", errorfs.Rule{Op: errorfs.OpWrite, AfterBytes: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &cluster{t: t, net: memnet.New(), ids: []uint64{1}, nodes: map[uint64]*testNode{}}
			nd := &testNode{id: 1, fs: vfs.NewMem()}
			nd.efs = errorfs.Wrap(nd.fs)
			c.nodes[1] = nd
			c.start(1)
			t.Cleanup(func() { c.stop(1) })
			c.createGroupAll(1)
			var acked []uint64
			for range 10 {
				acked = append(acked, c.propose(1))
			}
			nd.efs.Inject(tc.rule)
			id := reqSeq.Add(1)
			done := nd.sms[1].w.Register(id)
			if err := nd.host.Propose(context.Background(), 1, binary.LittleEndian.AppendUint64(nil, id)); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "the group to stop", func() bool {
				st, err := nd.host.Status(1)
				return err == nil && st.Err != nil
			})
			select {
			case <-done:
				t.Fatal("an entry whose write failed was applied")
			default:
			}
			if err := nd.host.Propose(context.Background(), 1, []byte("more")); !errors.Is(err, ErrGroupFailed) {
				t.Fatalf("propose on a failed group: %v", err)
			}
			// Power off: what was not synced is gone; restart on the disk.
			nd.efs.Clear()
			nd.fs.Crash()
			c.stop(1)
			c.start(1)
			c.createGroupAll(1)
			c.waitApplied(1, 1, append(acked, c.propose(1)))
			if nd.sms[1].applied()[id] != 0 {
				t.Log("the failed entry reached the disk after all and was committed on restart (allowed: it was never acknowledged)")
			}
		})
	}
}
