package raft

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

func TestSingleNodeGroupAppliesProposals(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.createGroupAll(7)
	var ids []uint64
	for range 20 {
		ids = append(ids, c.propose(7))
	}
	c.waitApplied(1, 7, ids)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	idx, err := c.nodes[1].host.ReadIndex(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.nodes[1].host.Status(7)
	if idx == 0 || st.Applied < idx || st.Voters[0] != 1 || len(st.Voters) != 1 {
		t.Fatalf("read index %d, status %+v", idx, st)
	}
}

func TestThreeNodesReplicateFailoverAndRecover(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.createGroupAll(1)
	var ids []uint64
	for range 20 {
		ids = append(ids, c.propose(1))
	}
	for _, id := range c.ids {
		c.waitApplied(id, 1, ids)
	}
	old := c.leader(1)
	c.stop(old.id)
	ld := c.leader(1)
	if ld.id == old.id {
		t.Fatal("stopped node still leads")
	}
	for range 20 {
		ids = append(ids, c.propose(1))
	}
	// Followers' linearizable reads see everything acknowledged.
	for _, nd := range c.running() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := nd.host.ReadIndex(ctx, 1); err != nil {
			t.Fatalf("node %d ReadIndex: %v", nd.id, err)
		}
		cancel()
		got := nd.sms[1].applied()
		for _, id := range ids {
			if got[id] == 0 {
				t.Fatalf("node %d: acknowledged %d missing after ReadIndex", nd.id, id)
			}
		}
	}
	// The old leader restarts from its own data and catches up.
	c.start(old.id)
	c.createGroup(old.id, 1, c.ids)
	c.waitApplied(old.id, 1, ids)
	if err := old.host.TransferLeadership(1, old.id); err == nil {
		t.Fatal("TransferLeadership on a follower succeeded")
	}
	ld = c.leader(1)
	if err := ld.host.TransferLeadership(1, old.id); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "leadership transfer", func() bool {
		st, err := c.nodes[old.id].host.Status(1)
		return err == nil && st.IsLeader
	})
}

func TestNotLeaderNamesLeader(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.createGroupAll(1)
	ld := c.leader(1)
	for _, nd := range c.running() {
		if nd == ld {
			continue
		}
		var nle *NotLeaderError
		eventually(t, 10*time.Second, "follower to know the leader", func() bool {
			err := nd.host.Propose(context.Background(), 1, []byte("12345678"))
			return errorsAs(err, &nle) && nle.Leader == ld.id
		})
	}
}

func TestLaggingFollowerCaughtUpBySnapshot(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) {
		cfg.SnapshotEntries = 20
		cfg.CompactionSlack = 5
		cfg.SegmentBytes = 512 // small segments so DropPrefix frees some
	})
	c.createGroupAll(1)
	lag, ids := c.lagFollower(1, 120)
	ld := c.leader(1)
	g, _ := ld.host.group(1)
	if first, _ := g.st.FirstIndex(); first < 50 {
		t.Fatalf("leader did not compact: first index %d", first)
	}
	c.start(lag)
	c.createGroup(lag, 1, c.ids)
	c.waitApplied(lag, 1, ids)
	if r := c.nodes[lag].sms[1].restores; r == 0 {
		t.Fatal("lagging follower was not restored from a snapshot")
	}
	// It restarts from the installed snapshot and its own log.
	c.stop(lag)
	c.start(lag)
	c.createGroup(lag, 1, c.ids)
	c.waitApplied(lag, 1, ids)
}

func TestManyGroups(t *testing.T) {
	c := newCluster(t, 3, nil)
	const n = 50
	for g := uint64(1); g <= n; g++ {
		c.createGroupAll(g)
	}
	want := map[uint64][]uint64{}
	for g := uint64(1); g <= n; g++ {
		want[g] = append(want[g], c.propose(g), c.propose(g))
	}
	for g := uint64(1); g <= n; g++ {
		for _, id := range c.ids {
			c.waitApplied(id, g, want[g])
		}
	}
}

func TestMembershipChanges(t *testing.T) {
	c := newCluster(t, 3, nil)
	// Group 5 starts on node 1 alone; nodes 2 and 3 join.
	c.createGroup(1, 5, []uint64{1})
	ids := []uint64{c.propose(5)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h1 := c.nodes[1].host
	for _, n := range []uint64{2, 3} {
		c.createGroup(n, 5, nil)
		if err := h1.AddLearner(ctx, 5, n, n); err != nil {
			t.Fatal(err)
		}
		c.waitApplied(n, 5, ids)
		if err := h1.PromoteVoter(ctx, 5, n); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := h1.Status(5)
	if len(st.Voters) != 3 {
		t.Fatalf("voters %v", st.Voters)
	}
	ids = append(ids, c.propose(5))
	c.waitApplied(3, 5, ids)
	if err := h1.RemoveMember(ctx, 5, 3); err != nil {
		t.Fatal(err)
	}
	if err := h1.AddLearner(ctx, 5, 3, 3); !errorsIs(err, ErrReplicaReused) {
		t.Fatalf("re-adding replica 3: %v", err)
	}
	if err := c.nodes[3].host.RemoveGroup(5); err != nil {
		t.Fatal(err)
	}
	// Node 3 comes back with a fresh replica ID.
	sm := newTestSM()
	c.nodes[3].sms[5] = sm
	if err := c.nodes[3].host.CreateGroup(GroupConfig{ID: 5, ReplicaID: 103, StateMachine: sm}); err != nil {
		t.Fatal(err)
	}
	if err := h1.AddLearner(ctx, 5, 103, 3); err != nil {
		t.Fatal(err)
	}
	c.waitApplied(3, 5, ids)
}

// Propose does not keep the caller's buffer: raft copies the data into its
// log, so a caller may reuse the buffer at once (the queue's produce path
// does). Overwriting it right after Propose must not change what applies.
func TestProposeCopiesData(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.createGroupAll(1)
	ld := c.leader(1)
	sm := ld.sms[1]
	buf := make([]byte, 8)
	for i := range 50 {
		id := reqSeq.Add(1)
		binary.LittleEndian.PutUint64(buf, id)
		done := sm.w.Register(id)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := ld.host.Propose(ctx, 1, buf); err != nil {
			t.Fatalf("propose %d: %v", i, err)
		}
		binary.LittleEndian.PutUint64(buf, 1<<63+uint64(i)) // the caller reuses its buffer
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatalf("proposal %d (id %d) did not apply as proposed: raft kept the caller's buffer?", i, id)
		}
		cancel()
	}
}
