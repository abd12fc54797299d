package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupParts is the partition count of the consumer-group tests' topics.
const groupParts = 6

// consumed counts every record value the members of a group consume, and
// wakes waiters as the count grows.
type consumed struct {
	mu      sync.Mutex
	counts  map[string]int
	total   int
	changed chan struct{}
}

func newConsumed() *consumed {
	return &consumed{counts: make(map[string]int), changed: make(chan struct{})}
}

func (c *consumed) add(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[v]++
	c.total++
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitFor waits until n records were consumed.
func (c *consumed) waitFor(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for {
		c.mu.Lock()
		total, changed := c.total, c.changed
		c.mu.Unlock()
		if total >= n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("consumed %d records of %d", total, n)
		}
	}
}

// check reports values not consumed exactly once among the first n.
func (c *consumed) check(t *testing.T, n int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range n {
		if got := c.counts[strconv.Itoa(i)]; got != 1 {
			t.Errorf("record %d consumed %d times", i, got)
		}
	}
	if c.total != n {
		t.Errorf("consumed %d records, want %d", c.total, n)
	}
}

// produceRange writes the values from..to-1, spread over the partitions
// round-robin, and waits for their acks.
func produceRange(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % groupParts), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// kgoMember is one consumer of a group: it polls, counts, commits what it
// polled and only then lets a rebalance proceed (BlockRebalanceOnPoll), so
// that no record is consumed twice across a rebalance.
type kgoMember struct {
	cl   *kgo.Client
	stop context.CancelFunc
	done chan struct{}
}

func startKgoMember(t *testing.T, addr, grp, topic string, seen *consumed, opts ...kgo.Opt) *kgoMember {
	t.Helper()
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(addr), kgo.ConsumerGroup(grp), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(3 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second), kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &kgoMember{cl: cl, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) { seen.add(string(r.Value)) })
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := cl.CommitUncommittedOffsets(cctx); err != nil {
				t.Errorf("commit: %v", err)
			}
			ccancel()
			cl.AllowRebalance()
			if ctx.Err() != nil || fs.IsClientClosed() {
				return
			}
		}
	}()
	t.Cleanup(m.close)
	return m
}

// close stops polling, commits what was polled and leaves the group.
func (m *kgoMember) close() {
	m.stop()
	<-m.done
}

// waitGroup polls DescribeGroups until the group is Stable with n members
// that share every partition of the topic (a cooperative rebalance passes
// through a Stable generation that leaves the revoked partitions out).
func waitGroup(t *testing.T, ctx context.Context, adm *kadm.Client, grp string, n int) kadm.DescribedGroup {
	t.Helper()
	for {
		ds, err := adm.DescribeGroups(ctx, grp)
		if err != nil {
			t.Fatal(err)
		}
		d := ds[grp]
		assigned := 0
		for _, m := range d.Members {
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, tp := range ca.Topics {
					assigned += len(tp.Partitions)
				}
			}
		}
		if d.State == "Stable" && len(d.Members) == n && assigned == groupParts {
			return d
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s: %s with %d members and %d partitions, want Stable with %d and %d", grp, d.State, len(d.Members), assigned, n, groupParts)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
}

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
			seen := newConsumed()
			const phase = 60

			a := startKgoMember(t, addr, grp, topic, seen, kgo.Balancers(bal.b))
			bm := startKgoMember(t, addr, grp, topic, seen, kgo.Balancers(bal.b))
			produceRange(t, ctx, prod, topic, 0, phase)
			seen.waitFor(t, ctx, phase)

			c := startKgoMember(t, addr, grp, topic, seen, kgo.Balancers(bal.b))
			d := waitGroup(t, ctx, adm, grp, 3)
			if d.Protocol != bal.b.ProtocolName() || d.ProtocolType != "consumer" {
				t.Errorf("protocol %s/%s, want consumer/%s", d.ProtocolType, d.Protocol, bal.b.ProtocolName())
			}
			for _, m := range d.Members {
				if m.ClientHost != "/127.0.0.1" || m.ClientID != "kgo" {
					t.Errorf("member %s: client %q at %q", m.MemberID, m.ClientID, m.ClientHost)
				}
			}
			produceRange(t, ctx, prod, topic, phase, 2*phase)
			seen.waitFor(t, ctx, 2*phase)

			a.close()
			waitGroup(t, ctx, adm, grp, 2)
			produceRange(t, ctx, prod, topic, 2*phase, 3*phase)
			seen.waitFor(t, ctx, 3*phase)
			bm.close()
			c.close()
			seen.check(t, 3*phase)

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
	seen := newConsumed()

	a := startKgoMember(t, addr, grp, topic, seen, kgo.InstanceID("a"))
	other := startKgoMember(t, addr, grp, topic, seen, kgo.InstanceID("b"))
	d := waitGroup(t, ctx, adm, grp, 2)
	oldID, gen := a.cl.GroupMetadata()
	if _, g := other.cl.GroupMetadata(); g != gen {
		// The two members saw different generations: one more
		// rebalance is under way; wait for both to settle.
		d = waitGroup(t, ctx, adm, grp, 2)
		oldID, gen = a.cl.GroupMetadata()
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

	a.close() // a static member does not leave the group on close
	restarted := startKgoMember(t, addr, grp, topic, seen, kgo.InstanceID("a"))
	for {
		id, g := restarted.cl.GroupMetadata()
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
	if _, g := other.cl.GroupMetadata(); g != gen {
		t.Errorf("the other member is in generation %d, want %d", g, gen)
	}
	d = waitGroup(t, ctx, adm, grp, 2)
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
func removeStatic(t *testing.T, ctx context.Context, addr, grp string, a *kgoMember) {
	t.Helper()
	a.close()
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
