package server

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Real Kafka clients (franz-go, sarama, segmentio/kafka-go, kcat) against
// one real node: the scenarios of internal/kafka's client tests, on the
// queue service instead of the fake backend.

// qcParts is the partition count of these tests' topics.
const qcParts = 6

// qcNode starts a node and returns its Kafka address, a kadm client and a
// context bounding the test.
func qcNode(t *testing.T) (string, *kadm.Client, context.Context) {
	t.Helper()
	n, _ := startNode(t, t.TempDir(), nil)
	addr := n.KafkaAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return addr, kadm.NewClient(mustClient(t, kgo.SeedBrokers(addr))), ctx
}

// qcCreate creates topic with qcParts partitions.
func qcCreate(t *testing.T, ctx context.Context, adm *kadm.Client, topic string) {
	t.Helper()
	r, err := adm.CreateTopic(ctx, qcParts, 1, nil, topic)
	if err != nil || r.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, r.Err)
	}
}

// qcSeen counts the record values the members of a group consume and the
// offsets whose commit the coordinator acknowledged. A value consumed again
// at an offset below an acknowledged commit is a lost commit.
type qcSeen struct {
	t         *testing.T
	mu        sync.Mutex
	counts    map[string]int
	distinct  int
	changed   chan struct{}
	committed map[int32]int64 // partition → highest acknowledged commit
	dupes     int
}

func newQCSeen(t *testing.T) *qcSeen {
	return &qcSeen{t: t, counts: map[string]int{}, changed: make(chan struct{}), committed: map[int32]int64{}}
}

func (s *qcSeen) add(v string, p int32, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[v]++
	if s.counts[v] == 1 {
		s.distinct++
	} else {
		s.dupes++
		if c := s.committed[p]; off < c {
			s.t.Errorf("record %s (partition %d offset %d) consumed again though offset %d was committed", v, p, off, c)
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *qcSeen) commit(p int32, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed[p] = max(s.committed[p], off)
}

// waitFor waits until n distinct values were consumed.
func (s *qcSeen) waitFor(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for {
		s.mu.Lock()
		got, changed := s.distinct, s.changed
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("consumed %d distinct records of %d", got, n)
		}
	}
}

// check checks every value 0..n-1 was consumed, and exactly once if once.
func (s *qcSeen) check(t *testing.T, n int, once bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		if got := s.counts[strconv.Itoa(i)]; got == 0 || once && got != 1 {
			t.Errorf("record %d consumed %d times", i, got)
		}
	}
	if s.distinct != n {
		t.Errorf("consumed %d distinct records, want %d", s.distinct, n)
	}
	if once && s.dupes != 0 {
		t.Errorf("%d records consumed twice", s.dupes)
	}
}

// qcProduce writes the values from..to-1, value i to partition i%qcParts,
// and waits for their acks.
func qcProduce(t *testing.T, ctx context.Context, cl *kgo.Client, topic string, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % qcParts), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d..%d: %v", from, to, err)
	}
}

// qcMember is a kgo group member: it polls, counts, commits what it polled
// (recording what the coordinator acknowledged) and only then lets a
// rebalance proceed, so no record is consumed twice across a rebalance.
type qcMember struct {
	cl   *kgo.Client
	stop context.CancelFunc
	done chan struct{}
}

func startQCMember(t *testing.T, seeds []string, grp, topic string, seen *qcSeen, strict bool, opts ...kgo.Opt) *qcMember {
	t.Helper()
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(grp), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second), kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RetryTimeout(10 * time.Second),
	}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &qcMember{cl: cl, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			offs := map[string]map[int32]kgo.EpochOffset{}
			fs.EachRecord(func(r *kgo.Record) {
				seen.add(string(r.Value), r.Partition, r.Offset)
				if offs[r.Topic] == nil {
					offs[r.Topic] = map[int32]kgo.EpochOffset{}
				}
				offs[r.Topic][r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
			})
			if len(offs) > 0 {
				cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
				cl.CommitOffsetsSync(cctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
					if err == nil {
						for _, tp := range resp.Topics {
							for _, p := range tp.Partitions {
								if err = kerr.ErrorForCode(p.ErrorCode); err != nil {
									break
								}
								seen.commit(p.Partition, offs[tp.Topic][p.Partition].Offset)
							}
						}
					}
					if err != nil {
						if strict {
							t.Errorf("commit: %v", err)
						} else {
							t.Logf("commit: %v", err)
						}
					}
				})
				ccancel()
			}
			cl.AllowRebalance()
			if ctx.Err() != nil || fs.IsClientClosed() {
				return
			}
		}
	}()
	t.Cleanup(m.close)
	return m
}

// close stops polling and leaves the group; what was polled is committed.
func (m *qcMember) close() {
	m.stop()
	<-m.done
}

// qcWaitGroup polls DescribeGroups until the group is Stable with n members
// sharing every partition.
func qcWaitGroup(t *testing.T, ctx context.Context, adm *kadm.Client, grp string, n int) kadm.DescribedGroup {
	t.Helper()
	for {
		ds, err := adm.DescribeGroups(ctx, grp)
		d := ds[grp]
		assigned := 0
		for _, m := range d.Members {
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, tp := range ca.Topics {
					assigned += len(tp.Partitions)
				}
			}
		}
		if err == nil && d.Err == nil && d.State == "Stable" && len(d.Members) == n && assigned == qcParts {
			return d
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s: %s with %d members and %d partitions (%v %v), want Stable with %d and %d", grp, d.State, len(d.Members), assigned, err, d.Err, n, qcParts)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
}

// qcCheckCommitted checks that grp committed every partition of topic at
// its end offset, and that its lag is zero.
func qcCheckCommitted(t *testing.T, ctx context.Context, adm *kadm.Client, grp, topic string) {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	offs, err := adm.FetchOffsets(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(qcParts) {
		end, _ := ends.Lookup(topic, p)
		if o, ok := offs.Lookup(topic, p); !ok || o.Err != nil || o.At != end.Offset || end.Offset <= 0 {
			t.Errorf("partition %d: committed %+v (found %v), end %d", p, o, ok, end.Offset)
		}
	}
	lags, err := adm.Lag(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	if l := lags[grp]; l.Error() != nil || l.Lag.Total() != 0 || len(l.Lag[topic]) != qcParts {
		t.Errorf("lag of %s: total %d over %d partitions (err %v)", grp, l.Lag.Total(), len(l.Lag[topic]), l.Error())
	}
}

// A kgo group of three members over six partitions filled by an idempotent
// producer: two start, a third joins late, one leaves; every record is
// consumed exactly once, the commits are visible through kadm with no lag,
// and the group is described, listed and deleted.
func TestNodeClientsKgoGroup(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp, phase = "kgo-group", "kgo-workers", 120
	qcCreate(t, ctx, adm, topic)
	prod := mustClient(t, kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	seen := newQCSeen(t)
	seeds := []string{addr}

	a := startQCMember(t, seeds, grp, topic, seen, true)
	b := startQCMember(t, seeds, grp, topic, seen, true)
	qcProduce(t, ctx, prod, topic, 0, phase)
	seen.waitFor(t, ctx, phase)

	c := startQCMember(t, seeds, grp, topic, seen, true)
	d := qcWaitGroup(t, ctx, adm, grp, 3)
	if d.ProtocolType != "consumer" || d.Protocol == "" {
		t.Errorf("protocol %s/%s", d.ProtocolType, d.Protocol)
	}
	qcProduce(t, ctx, prod, topic, phase, 2*phase)
	seen.waitFor(t, ctx, 2*phase)

	a.close()
	qcWaitGroup(t, ctx, adm, grp, 2)
	qcProduce(t, ctx, prod, topic, 2*phase, 3*phase)
	seen.waitFor(t, ctx, 3*phase)
	b.close()
	c.close()
	seen.check(t, 3*phase, true)

	qcCheckCommitted(t, ctx, adm, grp, topic)
	ds, err := adm.DescribeGroups(ctx, grp)
	if err != nil || ds[grp].State != "Empty" || len(ds[grp].Members) != 0 {
		t.Errorf("described after every member left: %+v %v", ds[grp], err)
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := listed[grp]; !ok || g.State != "Empty" || g.ProtocolType != "consumer" {
		t.Errorf("listed %+v", listed)
	}
	if r, err := adm.DeleteGroup(ctx, grp); err != nil || r.Err != nil {
		t.Fatalf("delete group: %v %v", err, r.Err)
	}
	if listed, err = adm.ListGroups(ctx); err != nil || listed[grp].Group != "" {
		t.Errorf("groups after delete: %+v, %v", listed, err)
	}
	if r, _ := adm.DeleteGroup(ctx, grp); !errors.Is(r.Err, kerr.GroupIDNotFound) {
		t.Errorf("deleting again: %v", r.Err)
	}
}

// kadm's topic administration on a node: CreateTopics, CreatePartitions,
// DescribeTopicConfigs, AlterTopicConfigs (incremental and whole),
// ListOffsets (start, end, by time) and DeleteTopics.
func TestNodeClientsKadmAdmin(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	created, err := adm.CreateTopics(ctx, 2, 1, map[string]*string{"retention.ms": kadm.StringPtr("600000")}, "adm-a", "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"adm-a", "adm-b"} {
		if r := created[n]; r.Err != nil || r.NumPartitions != 2 || r.ReplicationFactor != 1 {
			t.Fatalf("created %s: %+v", n, r)
		}
	}
	again, err := adm.CreateTopics(ctx, 1, 1, nil, "adm-a", "bad/name")
	if err != nil || !errors.Is(again["adm-a"].Err, kerr.TopicAlreadyExists) || !errors.Is(again["bad/name"].Err, kerr.InvalidTopicException) {
		t.Fatalf("create again: %+v %v", again, err)
	}

	cp, err := adm.CreatePartitions(ctx, 2, "adm-a")
	if err != nil || cp["adm-a"].Err != nil {
		t.Fatalf("create partitions: %+v %v", cp, err)
	}
	if cp, _ = adm.UpdatePartitions(ctx, 2, "adm-a"); !errors.Is(cp["adm-a"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrinking: %+v", cp)
	}
	md, err := adm.ListTopics(ctx, "adm-a")
	if err != nil || len(md["adm-a"].Partitions) != 4 {
		t.Fatalf("after create partitions: %+v %v", md, err)
	}
	// The new partitions take records.
	prod := mustClient(t, kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: "adm-a", Partition: 3, Value: []byte("p3")}).FirstErr(); err != nil {
		t.Fatalf("produce to a new partition: %v", err)
	}

	configs := func() map[string]kadm.Config {
		t.Helper()
		rcs, err := adm.DescribeTopicConfigs(ctx, "adm-a")
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On("adm-a", nil)
		if err != nil || rc.Err != nil {
			t.Fatalf("describe configs: %+v %v", rc, err)
		}
		m := map[string]kadm.Config{}
		for _, c := range rc.Configs {
			m[c.Key] = c
		}
		return m
	}
	val := func(c kadm.Config) string {
		if c.Value == nil {
			return "<nil>"
		}
		return *c.Value
	}
	if c := configs()["retention.ms"]; val(c) != "600000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.ms as created: %s from %v", val(c), c.Source)
	}
	alt, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Name: "retention.bytes", Value: kadm.StringPtr("1048576")},
		{Name: "max.message.bytes", Value: kadm.StringPtr("2000000")},
		{Name: "retention.ms", Op: kadm.DeleteConfig},
	}, "adm-a")
	if err != nil || len(alt) != 1 || alt[0].Err != nil {
		t.Fatalf("incremental alter: %+v %v", alt, err)
	}
	cfg := configs()
	if c := cfg["retention.bytes"]; val(c) != "1048576" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.bytes: %s from %v", val(c), c.Source)
	}
	if c := cfg["max.message.bytes"]; val(c) != "2000000" {
		t.Errorf("max.message.bytes: %s", val(c))
	}
	if c := cfg["retention.ms"]; c.Source == kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.ms still set after deletion: %s", val(c))
	}
	if alt, _ = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "bogus.config", Value: kadm.StringPtr("1")}}, "adm-a"); len(alt) != 1 || !errors.Is(alt[0].Err, kerr.InvalidConfig) {
		t.Errorf("unknown config: %+v", alt)
	}
	// AlterConfigs replaces the whole set. (cleanup.policy=compact is
	// refused with INVALID_CONFIG: compaction is not implemented yet.)
	if alt, err = adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.bytes", Value: kadm.StringPtr("4194304")}}, "adm-a"); err != nil || alt[0].Err != nil {
		t.Fatalf("alter state: %+v %v", alt, err)
	}
	cfg = configs()
	if c := cfg["segment.bytes"]; val(c) != "4194304" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("segment.bytes: %s from %v", val(c), c.Source)
	}
	if c := cfg["retention.bytes"]; c.Source == kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.bytes survived AlterConfigs: %s", val(c))
	}

	// ListOffsets: start, end, and by time.
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := range 5 {
		recs = append(recs, &kgo.Record{Topic: "adm-b", Partition: 1, Value: fmt.Appendf(nil, "v%d", i), Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	starts, err := adm.ListStartOffsets(ctx, "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	after, err := adm.ListOffsetsAfterMilli(ctx, base.Add(2*time.Minute+time.Second).UnixMilli(), "adm-b")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		l    kadm.ListedOffsets
		p    int32
		want int64
	}{"start": {starts, 1, 0}, "end": {ends, 1, 5}, "end of an empty partition": {ends, 0, 0}, "after": {after, 1, 3}} {
		o, ok := tc.l.Lookup("adm-b", tc.p)
		if !ok || o.Err != nil || o.Offset != tc.want {
			t.Errorf("%s: %+v, want offset %d", name, o, tc.want)
		}
	}

	del, err := adm.DeleteTopics(ctx, "adm-a", "adm-missing")
	if err != nil || del["adm-a"].Err != nil || !errors.Is(del["adm-missing"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	for {
		md, err := adm.ListTopics(ctx)
		if err == nil && !md.Has("adm-a") && md.Has("adm-b") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topics after delete: %v %v", md.Names(), err)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
}

// qcSaramaConfig is a sarama configuration with short group timeouts, an
// idempotent acks=all producer and manual partitioning.
func qcSaramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 20
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 5 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Consumer.Retry.Backoff = 100 * time.Millisecond
	return cfg
}

// qcSaramaProduce sends values from..to-1 (value i to partition i%qcParts)
// through an idempotent SyncProducer and checks the offsets it got: each
// partition's in order from next[p].
func qcSaramaProduce(t *testing.T, seeds []string, topic string, from, to int, next map[int32]int64) {
	t.Helper()
	p, err := sarama.NewSyncProducer(seeds, qcSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i := from; i < to; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: int32(i % qcParts), Value: sarama.StringEncoder(strconv.Itoa(i))})
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatalf("sarama produce: %v", err)
	}
	for _, m := range msgs {
		if m.Offset != next[m.Partition] {
			t.Errorf("record %v: partition %d offset %d, want %d", m.Value, m.Partition, m.Offset, next[m.Partition])
		}
		next[m.Partition] = m.Offset + 1
	}
}

// qcSaramaHandler counts what a sarama group member consumes and marks it.
type qcSaramaHandler struct{ seen *qcSeen }

func (qcSaramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (qcSaramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h qcSaramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		h.seen.add(string(msg.Value), msg.Partition, msg.Offset)
		sess.MarkMessage(msg, "")
	}
	return nil
}

// qcSaramaGroup runs a sarama consumer group of members members on topic
// until n distinct values were consumed, then closes it (committing what
// was marked).
func qcSaramaGroup(t *testing.T, ctx context.Context, seeds []string, grp, topic string, members, n int) *qcSeen {
	t.Helper()
	seen := newQCSeen(t)
	cfg := qcSaramaConfig()
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var groups []sarama.ConsumerGroup
	for range members {
		cg, err := sarama.NewConsumerGroup(seeds, grp, cfg)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, cg)
		wg.Go(func() {
			for cctx.Err() == nil {
				if err := cg.Consume(cctx, []string{topic}, qcSaramaHandler{seen}); err != nil && cctx.Err() == nil {
					t.Logf("sarama consume: %v", err)
				}
			}
		})
	}
	seen.waitFor(t, ctx, n)
	cancel()
	wg.Wait()
	for _, cg := range groups {
		if err := cg.Close(); err != nil {
			t.Error(err)
		}
	}
	return seen
}

// sarama: an idempotent acks=all SyncProducer, then a consumer group of two
// members consumes everything and commits it.
func TestNodeClientsSarama(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp, n = "sarama", "sarama-group", 120
	qcCreate(t, ctx, adm, topic)
	next := map[int32]int64{}
	qcSaramaProduce(t, []string{addr}, topic, 0, n, next)
	seen := qcSaramaGroup(t, ctx, []string{addr}, grp, topic, 2, n)
	seen.check(t, n, false)
	t.Logf("%d records consumed twice (marked but not yet committed at a rebalance)", seen.dupes)
	qcCheckCommitted(t, ctx, adm, grp, topic)
}

// segmentio/kafka-go: a Writer, then a Reader with a GroupID reading
// everything and committing.
func TestNodeClientsKafkaGo(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp, n = "kafkago", "kafkago-group", 120
	qcCreate(t, ctx, adm, topic)
	qcKafkaGo(t, ctx, []string{addr}, adm, topic, grp, n)
}

func qcKafkaGo(t *testing.T, ctx context.Context, seeds []string, adm *kadm.Client, topic, grp string, n int) {
	t.Helper()
	w := &kafkago.Writer{
		Addr: kafkago.TCP(seeds...), Topic: topic, Balancer: &kafkago.RoundRobin{},
		RequiredAcks: kafkago.RequireAll, BatchTimeout: 5 * time.Millisecond, MaxAttempts: 20,
		WriteBackoffMin: 10 * time.Millisecond, WriteBackoffMax: 100 * time.Millisecond,
	}
	var msgs []kafkago.Message
	for i := range n {
		msgs = append(msgs, kafkago.Message{Value: []byte(strconv.Itoa(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("kafka-go write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: seeds, GroupID: grp, Topic: topic,
		MaxWait: 100 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 5 * time.Second, JoinGroupBackoff: 100 * time.Millisecond,
		StartOffset: kafkago.FirstOffset, ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 50 * time.Millisecond,
	})
	seen := newQCSeen(t)
	for got := 0; got < n; {
		m, err := r.ReadMessage(ctx) // commits before returning (CommitInterval 0)
		var kerr kafkago.Error
		if errors.As(err, &kerr) && kerr.Temporary() {
			// The group's errors come through ReadMessage; retriable
			// ones (the coordinator still loading, the offsets topic
			// being created) are for the caller to retry.
			t.Logf("kafka-go read: %v", err)
			continue
		}
		if err != nil {
			t.Fatalf("kafka-go read: %v", err)
		}
		seen.add(string(m.Value), int32(m.Partition), m.Offset)
		got++
	}
	t.Logf("kafka-go reader read everything in %v", time.Since(start))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seen.check(t, n, true)
	qcCheckCommitted(t, ctx, adm, grp, topic)
}

// kcat (Debian's, librdkafka): -L, produce, consume from the beginning, and
// consume by group (-G), which commits.
func TestNodeClientsKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	addr, adm, ctx := qcNode(t)
	const topic, grp, perPart = "kcat", "kcat-group", 20
	qcCreate(t, ctx, adm, topic)
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, kcat, append([]string{"-b", addr}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kcat %v: %v\n%s%s", args, err, out, stderr.String())
		}
		return string(out)
	}
	out := run("", "-L", "-t", topic)
	for _, want := range []string{"1 brokers:", " at " + addr, fmt.Sprintf(`topic "%s" with %d partitions:`, topic, qcParts)} {
		if !strings.Contains(out, want) {
			t.Errorf("kcat -L lacks %q:\n%s", want, out)
		}
	}
	var all []string
	for p := range qcParts {
		var lines []string
		for i := range perPart {
			lines = append(lines, fmt.Sprintf("p%d-%d", p, i))
		}
		all = append(all, lines...)
		run(strings.Join(lines, "\n")+"\n", "-P", "-t", topic, "-p", strconv.Itoa(p), "-z", "lz4")
	}
	out = run("", "-C", "-t", topic, "-p", "2", "-o", "beginning", "-e", "-f", "%o %s\n")
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != perPart {
		t.Fatalf("kcat -C read %d lines, want %d:\n%s", len(got), perPart, out)
	}
	for i, l := range got {
		if want := fmt.Sprintf("%d p2-%d", i, i); l != want {
			t.Fatalf("line %d: %q, want %q", i, l, want)
		}
	}
	out = run("", "-G", grp, "-c", strconv.Itoa(len(all)), "-f", "%s\n",
		"-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=100",
		"-X", "topic.metadata.refresh.interval.ms=1000", topic)
	gotAll := strings.Fields(out)
	slices.Sort(gotAll)
	slices.Sort(all)
	if !slices.Equal(gotAll, all) {
		t.Errorf("kcat -G read %d records, want %d:\n%s", len(gotAll), len(all), out)
	}
	qcCheckCommitted(t, ctx, adm, grp, topic)
	ds, err := adm.DescribeGroups(ctx, grp)
	if err != nil || ds[grp].State != "Empty" {
		t.Errorf("after kcat left: %+v, %v", ds[grp], err)
	}
}
