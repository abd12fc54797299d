package raft

import (
	"encoding/binary"
	"errors"
	"testing"
)

// A group that retains its log keeps every entry behind its snapshots: a
// follower that was down catches up from the log (no snapshot install),
// ReadEntries serves the committed entries on every replica, and
// DropLogBefore drops whole segments, never past the latest snapshot.
func TestRetainedLog(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotEntries = 20
		cfg.CompactionSlack = 5
		cfg.SegmentBytes = 512
	})
	c.retain = true
	c.createGroupAll(1)
	lag, ids := c.lagFollower(1, 120)
	ld := c.leader(1)
	if first, _ := ld.host.LogFirstIndex(1); first != 1 {
		t.Fatalf("leader's retained log starts at %d, want 1", first)
	}
	c.start(lag)
	c.createGroup(lag, 1, c.ids)
	c.waitApplied(lag, 1, ids)
	if r := c.nodes[lag].sms[1].restores; r != 0 {
		t.Fatalf("lagging follower was restored from a snapshot %d times; want the log", r)
	}

	// Every replica reads the same committed entries, old ones from disk.
	read := func(nd *testNode) map[uint64]bool {
		t.Helper()
		got := map[uint64]bool{}
		for lo := uint64(1); ; {
			ents, err := nd.host.ReadEntries(1, lo, lo+1000, 300)
			if err != nil {
				t.Fatalf("node %d: ReadEntries(%d): %v", nd.id, lo, err)
			}
			if len(ents) == 0 {
				return got
			}
			for _, e := range ents {
				if len(e.Data) == 8 {
					got[binary.LittleEndian.Uint64(e.Data)] = true
				}
			}
			lo = ents[len(ents)-1].Index + 1
		}
	}
	for _, nd := range c.running() {
		got := read(nd)
		for _, id := range ids {
			if !got[id] {
				t.Fatalf("node %d: ReadEntries lacks request %d", nd.id, id)
			}
		}
	}

	// Restart from disk: the state machine comes back from its snapshot
	// plus the log after it, and the old entries are still readable.
	c.stop(ld.id)
	c.start(ld.id)
	c.createGroup(ld.id, 1, c.ids)
	c.waitApplied(ld.id, 1, ids)
	if got := read(c.nodes[ld.id]); len(got) < len(ids) {
		t.Fatalf("after restart node %d reads %d requests, want %d", ld.id, len(got), len(ids))
	}

	// Retention: drop below index 60 on every replica.
	for _, nd := range c.running() {
		if err := nd.host.DropLogBefore(1, 60); err != nil {
			t.Fatal(err)
		}
	}
	more := c.propose(1) // a cycle runs the drop
	for _, nd := range c.running() {
		c.waitApplied(nd.id, 1, []uint64{more})
		eventually(t, 10e9, "prefix drop", func() bool {
			f, err := nd.host.LogFirstIndex(1)
			return err == nil && f > 1 && f < 60
		})
		if _, err := nd.host.ReadEntries(1, 1, 2, 0); !errors.Is(err, ErrLogDropped) {
			t.Fatalf("node %d: reading a dropped entry: %v, want ErrLogDropped", nd.id, err)
		}
	}
}
