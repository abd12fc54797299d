package clustertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestMemberAddAndJoin grows a three-node cluster to four the etcd way:
// `member add` with the new node's peer URL, then the node starts with
// --initial-cluster-state existing, catches up (log or snapshot) and serves.
// Then it is removed again.
func TestMemberAddAndJoin(t *testing.T) {
	c := New(t, 3, Options{})
	cli := c.Client(c.Node(0), c.Node(1), c.Node(2))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 20 {
		if _, err := cli.Put(ctx, fmt.Sprintf("before/%02d", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	n4 := c.AddNode()
	add, err := cli.MemberAdd(ctx, []string{n4.PeerURL()})
	if err != nil {
		t.Fatal(err)
	}
	if add.Member.ID != n4.ID || len(add.Members) != 4 {
		t.Fatalf("member add: %+v", add)
	}
	n4.Start()
	// The new member publishes its name and client URL and serves reads
	// of what was written before it joined.
	deadline := time.Now().Add(30 * time.Second)
	for {
		cli4 := c.Client(n4)
		r, err := cli4.Get(ctx, "before/", clientv3.WithPrefix(), clientv3.WithSerializable())
		if err == nil && len(r.Kvs) == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new member did not catch up: %v %v", r, err)
		}
		<-time.After(50 * time.Millisecond)
	}
	// Writes through the new member reach everyone.
	if _, err := c.Client(n4).Put(ctx, "after", "y"); err != nil {
		t.Fatal(err)
	}
	// It publishes its name and client URL (through the leader) soon after.
	for published := false; !published; {
		ml, err := cli.MemberList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ml.Members {
			if m.ID == n4.ID {
				published = m.Name == n4.Name && len(m.ClientURLs) == 1 && !m.IsLearner
			}
		}
		if !published {
			if time.Now().After(deadline) {
				t.Fatalf("member list lacks the started new member: %+v", ml.Members)
			}
			<-time.After(50 * time.Millisecond)
		}
	}
	var ml *clientv3.MemberListResponse
	if _, err := cli.MemberRemove(ctx, n4.ID); err != nil {
		t.Fatal(err)
	}
	ml, err = cli.MemberList(ctx)
	if err != nil || len(ml.Members) != 3 {
		t.Fatalf("after remove: %v %v", ml, err)
	}
	if _, err := cli.Put(ctx, "after-remove", "z"); err != nil {
		t.Fatal(err)
	}
}
