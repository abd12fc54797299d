package raft

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestCrashNeverLosesAcknowledged simulates a power failure of every node
// at once on vfs.MemFS, which drops everything not synced: every proposal
// acknowledged (applied on the leader, hence committed on a synced
// majority) before the crash must be applied after the restart.
func TestCrashNeverLosesAcknowledged(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.SnapshotEntries = 25; cfg.CompactionSlack = 5 })
	c.createGroupAll(1)
	c.createGroupAll(2)
	var acked []uint64
	for round := range 3 {
		for i := range 30 {
			g := uint64(1 + i%2)
			acked = append(acked, c.propose(g))
			// Unacknowledged proposals in flight at the crash.
			ld := c.leader(g)
			_ = ld.host.Propose(context.Background(), g, binary.LittleEndian.AppendUint64(nil, reqSeq.Add(1)))
		}
		for _, nd := range c.running() {
			nd.fs.Crash()
		}
		for _, id := range c.ids {
			c.stop(id)
		}
		for _, id := range c.ids {
			c.start(id)
		}
		c.createGroupAll(1)
		c.createGroupAll(2)
		marks := map[uint64]uint64{1: c.propose(1), 2: c.propose(2)}
		for _, id := range c.ids {
			for g := uint64(1); g <= 2; g++ {
				var want []uint64
				for i, a := range acked {
					if uint64(1+i%2) == g {
						want = append(want, a)
					}
				}
				c.waitApplied(id, g, append(want, marks[g]))
			}
		}
		t.Logf("round %d: %d acknowledged proposals survived", round, len(acked))
	}
}

// TestCrashOfOneNode crashes the leader alone; the others go on, and the
// crashed node recovers from what it had synced and catches up.
func TestCrashOfOneNode(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.createGroupAll(1)
	var acked []uint64
	for range 20 {
		acked = append(acked, c.propose(1))
	}
	ld := c.leader(1)
	ld.fs.Crash()
	c.stop(ld.id)
	for range 20 {
		acked = append(acked, c.propose(1))
	}
	c.start(ld.id)
	c.createGroup(ld.id, 1, c.ids)
	for _, id := range c.ids {
		c.waitApplied(id, 1, acked)
	}
}
