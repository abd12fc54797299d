package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/kafkatest"
)

// groupParts is the partition count of the consumer-group tests' topics.
const groupParts = kafkatest.Parts

// A kgo consumer group of up to three members, with each balancer: every
// record is consumed exactly once while members join and leave; then the
// committed offsets, lag, description, listing, offset deletion and group
// deletion through kadm.
func TestKgoConsumerGroup(t *testing.T) {
	for _, bal := range []struct {
		name string
		b    kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"roundrobin", kgo.RoundRobinBalancer()},
		{"sticky", kgo.StickyBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		t.Run(bal.name, func(t *testing.T) {
			topic, grp := "t-"+bal.name, "g-"+bal.name
			b := newFakeBackend().withTopic(topic, groupParts)
			addr := startFake(t, b)
			ctx := testCtx(t)
			prod := newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			adm := kadm.NewClient(newClient(t, addr))
			seen := kafkatest.NewSeen(t)
			const phase = 60

			a := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.Balancers(bal.b))
			bm := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.Balancers(bal.b))
			kafkatest.Produce(t, ctx, prod, topic, 0, phase)
			seen.WaitFor(t, ctx, phase)

			c := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.Balancers(bal.b))
			d := kafkatest.WaitGroup(t, ctx, adm, grp, 3)
			if d.Protocol != bal.b.ProtocolName() || d.ProtocolType != "consumer" {
				t.Errorf("protocol %s/%s, want consumer/%s", d.ProtocolType, d.Protocol, bal.b.ProtocolName())
			}
			for _, m := range d.Members {
				if m.ClientHost != "/127.0.0.1" || m.ClientID != "kgo" {
					t.Errorf("member %s: client %q at %q", m.MemberID, m.ClientID, m.ClientHost)
				}
			}
			kafkatest.Produce(t, ctx, prod, topic, phase, 2*phase)
			seen.WaitFor(t, ctx, 2*phase)

			a.Close()
			kafkatest.WaitGroup(t, ctx, adm, grp, 2)
			kafkatest.Produce(t, ctx, prod, topic, 2*phase, 3*phase)
			seen.WaitFor(t, ctx, 3*phase)
			bm.Close()
			c.Close()
			seen.Check(t, 3*phase, true)

			checkGroupAdmin(t, ctx, adm, grp, topic, 3*phase/groupParts)
		})
	}
}

// checkGroupAdmin checks, through kadm, an empty group that consumed every
// partition of topic up to end: offsets, lag, listing, offset deletion and
// group deletion.
func checkGroupAdmin(t *testing.T, ctx context.Context, adm *kadm.Client, grp, topic string, end int64) {
	t.Helper()
	offs, err := adm.FetchOffsets(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(groupParts) {
		if o, ok := offs.Lookup(topic, p); !ok || o.At != end || o.Err != nil {
			t.Errorf("partition %d: committed %+v (found %v), want %d", p, o, ok, end)
		}
	}
	lags, err := adm.Lag(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	if l := lags[grp]; l.Error() != nil || l.State != "Empty" || l.Lag.Total() != 0 || len(l.Lag[topic]) != groupParts {
		t.Errorf("lag: %+v (err %v)", l, l.Error())
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := listed[grp]; !ok || g.State != "Empty" || g.ProtocolType != "consumer" {
		t.Errorf("listed %+v", listed)
	}
	if listed, err = adm.ListGroups(ctx, "Stable"); err != nil || len(listed) != 0 {
		t.Errorf("stable groups %+v, %v", listed, err)
	}

	dels, err := adm.DeleteOffsets(ctx, grp, kadm.TopicsSet{topic: {0: {}}, "missing": {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dels[topic][0]; err != nil {
		t.Errorf("delete offsets: %v", err)
	}
	if err := dels["missing"][0]; err == nil || err.Error() != errorFor(CodeUnknownTopicOrPartition) {
		t.Errorf("delete offsets of a missing topic: %v", err)
	}
	if offs, err = adm.FetchOffsets(ctx, grp); err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup(topic, 0); ok && o.At >= 0 {
		t.Errorf("partition 0 still committed: %+v", o)
	}

	if r, err := adm.DeleteGroup(ctx, grp); err != nil || r.Err != nil {
		t.Fatalf("delete group: %v %v", err, r.Err)
	}
	if listed, err = adm.ListGroups(ctx); err != nil || len(listed) != 0 {
		t.Errorf("groups after delete: %+v, %v", listed, err)
	}
	if r, _ := adm.DeleteGroup(ctx, grp); r.Err == nil || r.Err.Error() != errorFor(CodeGroupIDNotFound) {
		t.Errorf("deleting again: %v", r.Err)
	}
}

// errorFor is kerr's text for a code, as kadm returns it.
func errorFor(code int16) string {
	return fmt.Sprintf("%s: %s", CodeName(code), CodeDescription(code))
}

// Static membership (KIP-345): a member that restarts with its
// group.instance.id takes its place back under a new member id, in the
// same generation, without a rebalance.
func TestKgoStaticMembership(t *testing.T) {
	const topic, grp = "static", "static-group"
	b := newFakeBackend().withTopic(topic, groupParts)
	addr := startFake(t, b)
	ctx := testCtx(t)
	adm := kadm.NewClient(newClient(t, addr))
	seen := kafkatest.NewSeen(t)

	a := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.InstanceID("a"))
	other := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.InstanceID("b"))
	d := kafkatest.WaitGroup(t, ctx, adm, grp, 2)
	oldID, gen := a.Client.GroupMetadata()
	if _, g := other.Client.GroupMetadata(); g != gen {
		// The two members saw different generations: one more
		// rebalance is under way; wait for both to settle.
		d = kafkatest.WaitGroup(t, ctx, adm, grp, 2)
		oldID, gen = a.Client.GroupMetadata()
	}
	var aAssigned []int32
	for _, m := range d.Members {
		if m.InstanceID != nil && *m.InstanceID == "a" {
			ca, _ := m.Assigned.AsConsumer()
			for _, tp := range ca.Topics {
				aAssigned = append(aAssigned, tp.Partitions...)
			}
		}
	}

	a.Close() // a static member does not leave the group on close
	restarted := kafkatest.StartMember(t, []string{addr}, grp, topic, seen, nil, kgo.InstanceID("a"))
	for {
		id, g := restarted.Client.GroupMetadata()
		if id != "" && id != oldID && g >= 0 {
			if g != gen {
				t.Errorf("rejoined in generation %d, want %d (no rebalance)", g, gen)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the restarted member did not rejoin")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, g := other.Client.GroupMetadata(); g != gen {
		t.Errorf("the other member is in generation %d, want %d", g, gen)
	}
	d = kafkatest.WaitGroup(t, ctx, adm, grp, 2)
	defer removeStatic(t, ctx, addr, grp, restarted)
	for _, m := range d.Members {
		if m.InstanceID != nil && *m.InstanceID == "a" {
			if m.MemberID == oldID {
				t.Errorf("member id not replaced")
			}
			ca, _ := m.Assigned.AsConsumer()
			var got []int32
			for _, tp := range ca.Topics {
				got = append(got, tp.Partitions...)
			}
			if fmt.Sprint(got) != fmt.Sprint(aAssigned) {
				t.Errorf("assignment %v, want %v kept", got, aAssigned)
			}
		}
	}
}

// removeStatic removes the static member "a" by its instance id alone (the
// admin path of KIP-345, LeaveGroup v3+) after stopping it, and checks the
// per-member answers of a batch that also names an unknown member.
func removeStatic(t *testing.T, ctx context.Context, addr, grp string, a *kafkatest.Member) {
	t.Helper()
	a.Close()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = grp
	req.Members = []kmsg.LeaveGroupRequestMember{
		{InstanceID: kmsg.StringPtr("a"), Reason: kmsg.StringPtr("removed by the test")},
		{MemberID: "nobody"},
	}
	resp, err := req.RequestWith(ctx, newClient(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 || len(resp.Members) != 2 || resp.Members[0].ErrorCode != 0 ||
		*resp.Members[0].InstanceID != "a" || resp.Members[1].ErrorCode != CodeUnknownMemberID {
		t.Errorf("leave v%d: %+v", resp.Version, resp)
	}
}
