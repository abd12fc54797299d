package kafka

import (
	"context"
	"fmt"
	"maps"
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
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/kafkatest"
)

// fillGroupTopic creates topic with groupParts partitions holding the
// values 0..n-1 round-robin, and returns the server's address, a kadm
// client, and the versions of the group APIs clients used.
func fillGroupTopic(t *testing.T, topic string, n int) (string, *kadm.Client, *apiVersionsUsed) {
	t.Helper()
	b := newFakeBackend().withTopic(topic, groupParts)
	used := &apiVersionsUsed{seen: make(map[int16]map[int16]bool)}
	t.Cleanup(b.coord.Close)
	_, addr := startServer(t, Config{NodeID: 1}, b, func(s *Server) {
		b.srv = s
		for _, key := range []int16{8, 9, 10, 11, 12, 13, 14} {
			a := s.apis[key]
			inner := a.handle
			a.handle = func(ctx context.Context, rc *requestContext, req kmsg.Request) (reply, error) {
				used.add(key, rc.version)
				return inner(ctx, rc, req)
			}
			s.apis[key] = a
		}
	})
	prod := newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	kafkatest.Produce(t, testCtx(t), prod, topic, 0, n)
	return addr, kadm.NewClient(newClient(t, addr)), used
}

// apiVersionsUsed records the versions of the requests a server handled.
type apiVersionsUsed struct {
	mu   sync.Mutex
	seen map[int16]map[int16]bool
}

func (u *apiVersionsUsed) add(key, v int16) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.seen[key] == nil {
		u.seen[key] = make(map[int16]bool)
	}
	u.seen[key][v] = true
}

// check logs the versions used and fails for a group API never used.
func (u *apiVersionsUsed) check(t *testing.T) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	var b strings.Builder
	for _, key := range []int16{10, 11, 14, 12, 9, 8, 13} {
		vs := slices.Sorted(maps.Keys(u.seen[key]))
		fmt.Fprintf(&b, " %s%v", kmsg.NameForKey(key), vs)
		if len(vs) == 0 && key != 12 && key != 13 { // heartbeats and leaves depend on timing
			t.Errorf("%s never used", kmsg.NameForKey(key))
		}
	}
	t.Logf("group API versions used:%s", b.String())
}

// checkCommitted checks that grp committed every partition of topic up to
// end.
func checkCommitted(t *testing.T, ctx context.Context, adm *kadm.Client, grp, topic string, end int64) {
	t.Helper()
	offs, err := adm.FetchOffsets(ctx, grp)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(groupParts) {
		if o, ok := offs.Lookup(topic, p); !ok || o.At != end {
			t.Errorf("partition %d: committed %d (found %v), want %d", p, o.At, ok, end)
		}
	}
}

// A sarama consumer group of two members (its default protocol version
// and its newest) consumes every record; closing commits what was marked.
func TestSaramaConsumerGroup(t *testing.T) {
	for _, version := range []sarama.KafkaVersion{sarama.DefaultVersion, sarama.MaxVersion} {
		t.Run(version.String(), func(t *testing.T) {
			const topic, grp, n = "sarama", "sarama-group", 60
			addr, adm, used := fillGroupTopic(t, topic, n)
			ctx := testCtx(t)
			seen := kafkatest.NewSeen(t)
			cfg := sarama.NewConfig()
			cfg.Version = version
			cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
			cfg.Consumer.Group.Session.Timeout = 3 * time.Second
			cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
			cfg.Consumer.Group.Rebalance.Timeout = 5 * time.Second
			cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
			cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
			var groups []sarama.ConsumerGroup
			done := make(chan struct{})
			cctx, cancel := context.WithCancel(ctx)
			for range 2 {
				cg, err := sarama.NewConsumerGroup([]string{addr}, grp, cfg)
				if err != nil {
					t.Fatal(err)
				}
				groups = append(groups, cg)
				go func() {
					defer func() { done <- struct{}{} }()
					for cctx.Err() == nil {
						if err := cg.Consume(cctx, []string{topic}, kafkatest.SaramaHandler{Seen: seen}); err != nil && cctx.Err() == nil {
							t.Errorf("consume: %v", err)
							return
						}
					}
				}()
			}
			seen.WaitFor(t, ctx, n)
			cancel()
			for _, cg := range groups {
				<-done
				if err := cg.Close(); err != nil {
					t.Error(err)
				}
			}
			seen.Check(t, n, false) // at least once: sarama commits marks asynchronously
			checkCommitted(t, ctx, adm, grp, topic, n/groupParts)
			used.check(t)
		})
	}
}

// segmentio/kafka-go's Reader with a group (FindCoordinator v0, JoinGroup
// v1–2, SyncGroup v0, Heartbeat v0, OffsetFetch v1, OffsetCommit v2,
// LeaveGroup v0) reads every record and commits synchronously.
func TestKafkaGoGroupReader(t *testing.T) {
	const topic, grp, n = "kafkago", "kafkago-group", 60
	addr, adm, used := fillGroupTopic(t, topic, n)
	ctx := testCtx(t)
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: []string{addr}, GroupID: grp, Topic: topic,
		MaxWait: 100 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		SessionTimeout: 3 * time.Second, RebalanceTimeout: 5 * time.Second,
		StartOffset: kafkago.FirstOffset, ReadBackoffMin: 10 * time.Millisecond, ReadBackoffMax: 50 * time.Millisecond,
	})
	seen := kafkatest.NewSeen(t)
	for range n {
		m, err := r.ReadMessage(ctx) // commits before returning (CommitInterval 0)
		if err != nil {
			t.Fatal(err)
		}
		seen.Add(string(m.Value), int32(m.Partition), m.Offset)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	seen.Check(t, n, true)
	checkCommitted(t, ctx, adm, grp, topic, n/groupParts)
	used.check(t)
}

// kcat's balanced consumer (-G: librdkafka's group consumer at the
// versions librdkafka 2.0 picks) reads every record, commits and leaves.
func TestKcatGroup(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	const topic, grp, n = "kcat", "kcat-group", 60
	addr, adm, used := fillGroupTopic(t, topic, n)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", addr, "-G", grp, "-c", strconv.Itoa(n), "-f", "%s\n",
		"-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=100",
		"-X", "topic.metadata.refresh.interval.ms=1000", topic).Output()
	if err != nil {
		t.Fatalf("kcat -G: %v\n%s", err, out)
	}
	seen := kafkatest.NewSeen(t)
	for _, v := range strings.Fields(string(out)) {
		seen.Add(v, -1, 0) // kcat prints values only
	}
	seen.Check(t, n, true)
	checkCommitted(t, ctx, adm, grp, topic, n/groupParts)
	used.check(t)
	ds, err := adm.DescribeGroups(ctx, grp)
	if err != nil || ds[grp].State != "Empty" {
		t.Errorf("after kcat left: %+v, %v", ds[grp], err)
	}
}
