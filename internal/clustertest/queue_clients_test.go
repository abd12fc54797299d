package clustertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// three real nodes, topics replicated three times, clients seeded with
// every node: the one-node scenarios of internal/server's
// queue_clients_test.go, and the group's coordinator killed mid-consumption.

// qcParts is the partition count of these tests' topics.
const qcParts = 6

// qcCluster starts three nodes and returns them, their Kafka addresses, a
// kadm client seeded with all of them and a context bounding the test.
func qcCluster(t *testing.T) (*Cluster, []string, *kadm.Client, context.Context) {
	t.Helper()
	c := New(t, 3, Options{})
	var seeds []string
	for _, nd := range c.Nodes() {
		seeds = append(seeds, nd.KafkaAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return c, seeds, kadm.NewClient(qcClient(t, kgo.SeedBrokers(seeds...))), ctx
}

func qcClient(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// qcCreate creates topic with qcParts partitions replicated on the three
// nodes and waits until each partition has a leader.
func qcCreate(t *testing.T, ctx context.Context, adm *kadm.Client, topic string) {
	t.Helper()
	r, err := adm.CreateTopic(ctx, qcParts, 3, nil, topic)
	if err != nil || r.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, r.Err)
	}
	for {
		md, err := adm.Metadata(ctx, topic)
		ready := 0
		if err == nil {
			for _, pd := range md.Topics[topic].Partitions {
				if pd.Err == nil && pd.Leader >= 1 && len(pd.Replicas) == 3 {
					ready++
				}
			}
		}
		if ready == qcParts {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s: %d of %d partitions have a leader (%v)", topic, ready, qcParts, err)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
}

// qcNodeOf returns the node serving as broker id.
func qcNodeOf(t *testing.T, c *Cluster, id int32) *Node {
	t.Helper()
	for _, nd := range c.Nodes() {
		if int32(nd.cfg.Queue.BrokerID) == id {
			return nd
		}
	}
	t.Fatalf("no node is broker %d", id)
	return nil
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

// strict says whether a failed commit fails the test (false while a
// coordinator is being killed: the commit in flight may fail).
func startQCMember(t *testing.T, seeds []string, grp, topic string, seen *qcSeen, strict *atomic.Bool, opts ...kgo.Opt) *qcMember {
	t.Helper()
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(grp), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.RebalanceTimeout(5 * time.Second), kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RetryTimeout(10 * time.Second), kgo.MetadataMinAge(200 * time.Millisecond),
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
						if strict.Load() {
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

// A kgo group of three members over six partitions replicated on three
// nodes, filled by an idempotent producer: two members start, a third joins
// late; then the node coordinating the group is stopped while the members
// are consuming, and the group carries on with the coordinator elected on
// another node: no record is missing, and a record is consumed again only
// if it lies after the last commit the old coordinator acknowledged. One
// member then leaves; at the end every partition is committed at its end
// (no lag), through the new coordinator.
func TestQueueClientsKgoGroupCoordinatorKilled(t *testing.T) {
	c, seeds, adm, ctx := qcCluster(t)
	const topic, grp, phase = "kgo-group", "kgo-workers", 120
	qcCreate(t, ctx, adm, topic)
	prod := qcClient(t, kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000),
		kgo.MetadataMinAge(200*time.Millisecond))
	seen := newQCSeen(t)
	var strict atomic.Bool
	strict.Store(true)

	a := startQCMember(t, seeds, grp, topic, seen, &strict)
	b := startQCMember(t, seeds, grp, topic, seen, &strict)
	qcProduce(t, ctx, prod, topic, 0, phase)
	seen.waitFor(t, ctx, phase)
	m := startQCMember(t, seeds, grp, topic, seen, &strict)
	qcWaitGroup(t, ctx, adm, grp, 3)
	qcProduce(t, ctx, prod, topic, phase, 2*phase)
	seen.waitFor(t, ctx, 2*phase)
	seen.mu.Lock()
	if seen.dupes != 0 {
		t.Errorf("%d records consumed twice before any failure", seen.dupes)
	}
	seen.mu.Unlock()

	// Kill the coordinator while records keep coming (two phases, a batch
	// at a time) and the members are consuming them.
	fc := adm.FindGroupCoordinators(ctx, grp)[grp]
	if fc.Err != nil {
		t.Fatalf("find coordinator: %v", fc.Err)
	}
	victim := qcNodeOf(t, c, fc.NodeID)
	produced := make(chan error, 1)
	go func() {
		for i := 2 * phase; i < 4*phase; i += qcParts {
			var recs []*kgo.Record
			for j := i; j < i+qcParts; j++ {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(j % qcParts), Value: []byte(strconv.Itoa(j))})
			}
			if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				produced <- fmt.Errorf("produce %d..%d: %w", i, i+qcParts, err)
				return
			}
		}
		produced <- nil
	}()
	seen.waitFor(t, ctx, 2*phase+2*qcParts)
	strict.Store(false)
	start := time.Now()
	victim.Stop()
	t.Logf("stopped broker %d, the coordinator of %s, in %v", fc.NodeID, grp, time.Since(start))
	seen.mu.Lock()
	acked := maps.Clone(seen.committed)
	seen.mu.Unlock()
	var live []string
	for _, nd := range c.Nodes() {
		if nd != victim {
			live = append(live, nd.KafkaAddr())
		}
	}
	adm = kadm.NewClient(qcClient(t, kgo.SeedBrokers(live...)))
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	t.Logf("produced the rest %v after the coordinator stopped", time.Since(start))
	seen.waitFor(t, ctx, 4*phase)
	t.Logf("the group consumed the rest %v after the coordinator stopped", time.Since(start))
	for {
		fc = adm.FindGroupCoordinators(ctx, grp)[grp]
		if fc.Err == nil && fc.NodeID != int32(victim.cfg.Queue.BrokerID) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the group's coordinator is still %d (%v)", fc.NodeID, fc.Err)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
	t.Logf("new coordinator: broker %d", fc.NodeID)
	// The new coordinator has every commit the old one acknowledged.
	offs, err := adm.FetchOffsets(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	for p, at := range acked {
		if o, ok := offs.Lookup(topic, p); !ok || o.Err != nil || o.At < at {
			t.Errorf("partition %d: the new coordinator has %+v (found %v), the old one acknowledged a commit at %d", p, o, ok, at)
		}
	}

	a.close()
	qcWaitGroup(t, ctx, adm, grp, 2)
	qcProduce(t, ctx, prod, topic, 4*phase, 5*phase)
	seen.waitFor(t, ctx, 5*phase)
	b.close()
	m.close()
	seen.check(t, 5*phase, false)
	seen.mu.Lock()
	t.Logf("%d records consumed again after the coordinator stopped (all after the last acknowledged commit)", seen.dupes)
	seen.mu.Unlock()
	qcCheckCommitted(t, ctx, adm, grp, topic)
	ds, err := adm.DescribeGroups(ctx, grp)
	if err != nil || ds[grp].State != "Empty" {
		t.Errorf("described after every member left: %+v %v", ds[grp], err)
	}
	if r, err := adm.DeleteGroup(ctx, grp); err != nil || r.Err != nil {
		t.Errorf("delete group: %v %v", err, r.Err)
	}
}

// sarama, segmentio/kafka-go and kcat on three nodes, seeded with all
// three, on topics replicated three times; the three clients at once, so
// their groups also share the coordinators.
func TestQueueClientsOthers(t *testing.T) {
	_, seeds, adm, ctx := qcCluster(t)

	t.Run("sarama", func(t *testing.T) {
		t.Parallel()
		const topic, grp, n = "sarama", "sarama-group", 120
		qcCreate(t, ctx, adm, topic)
		next := map[int32]int64{}
		start := time.Now()
		qcSaramaProduce(t, seeds, topic, 0, n, next)
		t.Logf("produced in %v", time.Since(start))
		seen := qcSaramaGroup(t, ctx, seeds, grp, topic, 2, n)
		t.Logf("consumed and closed in %v", time.Since(start))
		seen.check(t, n, false)
		t.Logf("%d records consumed twice (marked but not yet committed at a rebalance)", seen.dupes)
		qcCheckCommitted(t, ctx, adm, grp, topic)
	})

	t.Run("kafka-go", func(t *testing.T) {
		t.Parallel()
		const topic, grp, n = "kafkago", "kafkago-group", 120
		qcCreate(t, ctx, adm, topic)
		qcKafkaGo(t, ctx, seeds, adm, topic, grp, n)
	})

	t.Run("kcat", func(t *testing.T) {
		t.Parallel()
		kcat, err := exec.LookPath("kcat")
		if err != nil {
			t.Skip("kcat not installed (apt-get install kcat)")
		}
		const topic, grp, perPart = "kcat", "kcat-group", 20
		qcCreate(t, ctx, adm, topic)
		run := func(stdin string, args ...string) string {
			t.Helper()
			cmd := exec.CommandContext(ctx, kcat, append([]string{"-b", strings.Join(seeds, ",")}, args...)...)
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
		wants := []string{"3 brokers:", fmt.Sprintf(`topic "%s" with %d partitions:`, topic, qcParts), "replicas: 1,2,3"}
		for _, s := range seeds {
			wants = append(wants, " at "+s)
		}
		for _, want := range wants {
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
			run(strings.Join(lines, "\n")+"\n", "-P", "-t", topic, "-p", strconv.Itoa(p), "-X", "acks=all", "-z", "zstd")
		}
		out = run("", "-C", "-t", topic, "-p", "4", "-o", "beginning", "-e", "-f", "%o %s\n")
		got := strings.Split(strings.TrimSpace(out), "\n")
		if len(got) != perPart {
			t.Fatalf("kcat -C read %d lines, want %d:\n%s", len(got), perPart, out)
		}
		for i, l := range got {
			if want := fmt.Sprintf("%d p4-%d", i, i); l != want {
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
	})
}
