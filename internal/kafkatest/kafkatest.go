// Package kafkatest drives Triad's Kafka front-end with real clients —
// franz-go (kgo, kadm), sarama and segmentio/kafka-go — for the tests of
// internal/server (one node) and internal/clustertest (three): producing
// numbered values, consumer groups that count what they consume and the
// commits their coordinator acknowledged, and the checks on both. It is
// test support, imported by _test files only.
package kafkatest

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

// Parts is the partition count of the topics these helpers fill and check.
const Parts = 6

// Client returns a kgo client closed when the test ends.
func Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Seen counts the record values the members of a group consume and the
// offsets whose commit the coordinator acknowledged. A value consumed again
// at an offset below an acknowledged commit is a lost commit.
type Seen struct {
	t         testing.TB
	mu        sync.Mutex
	counts    map[string]int
	distinct  int
	changed   chan struct{}
	committed map[int32]int64 // partition → highest acknowledged commit
	dupes     int
}

// NewSeen returns an empty Seen reporting to t.
func NewSeen(t testing.TB) *Seen {
	return &Seen{t: t, counts: map[string]int{}, changed: make(chan struct{}), committed: map[int32]int64{}}
}

// Add counts value v consumed at partition p, offset off.
func (s *Seen) Add(v string, p int32, off int64) {
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

// Dupes is how many consumptions were of a value already seen.
func (s *Seen) Dupes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dupes
}

// Committed returns the highest acknowledged commit of each partition.
func (s *Seen) Committed() map[int32]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.committed)
}

// Commit records an acknowledged commit of offset off on partition p.
func (s *Seen) Commit(p int32, off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed[p] = max(s.committed[p], off)
}

// WaitFor waits until n distinct values were consumed.
func (s *Seen) WaitFor(t testing.TB, ctx context.Context, n int) {
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

// Check checks every value 0..n-1 was consumed, and exactly once if once.
func (s *Seen) Check(t testing.TB, n int, once bool) {
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

// Produce writes the values from..to-1, value i to partition i%Parts,
// and waits for their acks.
func Produce(t testing.TB, ctx context.Context, cl *kgo.Client, topic string, from, to int) {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % Parts), Value: []byte(strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce %d..%d: %v", from, to, err)
	}
}

// Member is a kgo group member: it polls, counts, commits what it polled
// (recording what the coordinator acknowledged) and only then lets a
// rebalance proceed, so no record is consumed twice across a rebalance.
type Member struct {
	Client *kgo.Client
	stop   context.CancelFunc
	done   chan struct{}
}

// StartMember starts a kgo group member. strict says whether a failed
// commit fails the test (nil: always; false while a coordinator is being
// killed: the commit in flight may fail).
func StartMember(t testing.TB, seeds []string, grp, topic string, seen *Seen, strict *atomic.Bool, opts ...kgo.Opt) *Member {
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
	m := &Member{Client: cl, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer cl.Close()
		for {
			fs := cl.PollFetches(ctx)
			offs := map[string]map[int32]kgo.EpochOffset{}
			fs.EachRecord(func(r *kgo.Record) {
				seen.Add(string(r.Value), r.Partition, r.Offset)
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
								seen.Commit(p.Partition, offs[tp.Topic][p.Partition].Offset)
							}
						}
					}
					if err != nil {
						if strict == nil || strict.Load() {
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
	t.Cleanup(m.Close)
	return m
}

// Close stops polling and leaves the group; what was polled is committed.
func (m *Member) Close() {
	m.stop()
	<-m.done
}

// WaitGroup polls DescribeGroups until the group is Stable with n members
// sharing every partition.
func WaitGroup(t testing.TB, ctx context.Context, adm *kadm.Client, grp string, n int) kadm.DescribedGroup {
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
		if err == nil && d.Err == nil && d.State == "Stable" && len(d.Members) == n && assigned == Parts {
			return d
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s: %s with %d members and %d partitions (%v %v), want Stable with %d and %d", grp, d.State, len(d.Members), assigned, err, d.Err, n, Parts)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
}

// CheckCommitted checks that grp committed every partition of topic at
// its end offset, and that its lag is zero.
func CheckCommitted(t testing.TB, ctx context.Context, adm *kadm.Client, grp, topic string) {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	offs, err := adm.FetchOffsets(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(Parts) {
		end, _ := ends.Lookup(topic, p)
		if o, ok := offs.Lookup(topic, p); !ok || o.Err != nil || o.At != end.Offset || end.Offset <= 0 {
			t.Errorf("partition %d: committed %+v (found %v), end %d", p, o, ok, end.Offset)
		}
	}
	lags, err := adm.Lag(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	if l := lags[grp]; l.Error() != nil || l.Lag.Total() != 0 || len(l.Lag[topic]) != Parts {
		t.Errorf("lag of %s: total %d over %d partitions (err %v)", grp, l.Lag.Total(), len(l.Lag[topic]), l.Error())
	}
}

// SaramaConfig is a sarama configuration with short group timeouts, an
// idempotent acks=all producer and manual partitioning.
func SaramaConfig() *sarama.Config {
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

// SaramaProduce sends values from..to-1 (value i to partition i%Parts)
// through an idempotent SyncProducer and checks the offsets it got: each
// partition's in order from next[p].
func SaramaProduce(t testing.TB, seeds []string, topic string, from, to int, next map[int32]int64) {
	t.Helper()
	p, err := sarama.NewSyncProducer(seeds, SaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i := from; i < to; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: int32(i % Parts), Value: sarama.StringEncoder(strconv.Itoa(i))})
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

// SaramaHandler counts what a sarama group member consumes into Seen and
// marks it.
type SaramaHandler struct{ Seen *Seen }

func (SaramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (SaramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h SaramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		h.Seen.Add(string(msg.Value), msg.Partition, msg.Offset)
		sess.MarkMessage(msg, "")
	}
	return nil
}

// SaramaGroup runs a sarama consumer group of members members on topic
// until n distinct values were consumed, then closes it (committing what
// was marked).
func SaramaGroup(t testing.TB, ctx context.Context, seeds []string, grp, topic string, members, n int) *Seen {
	t.Helper()
	seen := NewSeen(t)
	cfg := SaramaConfig()
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
				if err := cg.Consume(cctx, []string{topic}, SaramaHandler{Seen: seen}); err != nil && cctx.Err() == nil {
					t.Logf("sarama consume: %v", err)
				}
			}
		})
	}
	seen.WaitFor(t, ctx, n)
	cancel()
	wg.Wait()
	for _, cg := range groups {
		if err := cg.Close(); err != nil {
			t.Error(err)
		}
	}
	return seen
}

// KafkaGo writes values 0..n-1 with a kafka-go Writer, reads them back
// with a group Reader that commits as it reads, and checks every value
// came once and the group's commits reached the end.
func KafkaGo(t testing.TB, ctx context.Context, seeds []string, adm *kadm.Client, topic, grp string, n int) {
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
	seen := NewSeen(t)
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
		seen.Add(string(m.Value), int32(m.Partition), m.Offset)
		got++
	}
	t.Logf("kafka-go reader read everything in %v", time.Since(start))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seen.Check(t, n, true)
	CheckCommitted(t, ctx, adm, grp, topic)
}

// Kcat drives Debian's kcat (librdkafka) against seeds on topic (Parts
// partitions, created by the caller): -L must print every line of
// listWants; 20 lines are produced to each partition with produceFlags
// added (codec, acks); partition 2 is read back from the beginning in
// order; then a group grp (-G) reads everything, and its commits must
// reach every partition's end. It skips the test if kcat is not installed.
func Kcat(t testing.TB, ctx context.Context, seeds []string, adm *kadm.Client, topic, grp string, listWants []string, produceFlags ...string) {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	const perPart = 20
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
	for _, want := range append(listWants, fmt.Sprintf(`topic "%s" with %d partitions:`, topic, Parts)) {
		if !strings.Contains(out, want) {
			t.Errorf("kcat -L lacks %q:\n%s", want, out)
		}
	}
	var all []string
	for p := range Parts {
		var lines []string
		for i := range perPart {
			lines = append(lines, fmt.Sprintf("p%d-%d", p, i))
		}
		all = append(all, lines...)
		run(strings.Join(lines, "\n")+"\n", append([]string{"-P", "-t", topic, "-p", strconv.Itoa(p)}, produceFlags...)...)
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
	CheckCommitted(t, ctx, adm, grp, topic)
}
