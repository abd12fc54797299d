package clustertest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"triad/internal/kafkatest"
)

// Real Kafka clients (franz-go, sarama, segmentio/kafka-go, kcat) against
// three real nodes, topics replicated three times, clients seeded with
// every node: the one-node scenarios of internal/server's
// queue_clients_test.go, and the group's coordinator killed mid-consumption.

// qcParts is the partition count of these tests' topics.
const qcParts = kafkatest.Parts

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
	return c, seeds, kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(seeds...))), ctx
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
	prod := kafkatest.Client(t, kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000),
		kgo.MetadataMinAge(200*time.Millisecond))
	seen := kafkatest.NewSeen(t)
	var strict atomic.Bool
	strict.Store(true)

	a := kafkatest.StartMember(t, seeds, grp, topic, seen, &strict)
	b := kafkatest.StartMember(t, seeds, grp, topic, seen, &strict)
	kafkatest.Produce(t, ctx, prod, topic, 0, phase)
	seen.WaitFor(t, ctx, phase)
	m := kafkatest.StartMember(t, seeds, grp, topic, seen, &strict)
	kafkatest.WaitGroup(t, ctx, adm, grp, 3)
	kafkatest.Produce(t, ctx, prod, topic, phase, 2*phase)
	seen.WaitFor(t, ctx, 2*phase)
	if d := seen.Dupes(); d != 0 {
		t.Errorf("%d records consumed twice before any failure", d)
	}

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
	seen.WaitFor(t, ctx, 2*phase+2*qcParts)
	strict.Store(false)
	start := time.Now()
	victim.Stop()
	t.Logf("stopped broker %d, the coordinator of %s, in %v", fc.NodeID, grp, time.Since(start))
	acked := seen.Committed()
	var live []string
	for _, nd := range c.Nodes() {
		if nd != victim {
			live = append(live, nd.KafkaAddr())
		}
	}
	adm = kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(live...)))
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	t.Logf("produced the rest %v after the coordinator stopped", time.Since(start))
	seen.WaitFor(t, ctx, 4*phase)
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

	a.Close()
	kafkatest.WaitGroup(t, ctx, adm, grp, 2)
	kafkatest.Produce(t, ctx, prod, topic, 4*phase, 5*phase)
	seen.WaitFor(t, ctx, 5*phase)
	b.Close()
	m.Close()
	seen.Check(t, 5*phase, false)
	t.Logf("%d records consumed again after the coordinator stopped (all after the last acknowledged commit)", seen.Dupes())
	kafkatest.CheckCommitted(t, ctx, adm, grp, topic)
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
		kafkatest.SaramaProduce(t, seeds, topic, 0, n, next)
		t.Logf("produced in %v", time.Since(start))
		seen := kafkatest.SaramaGroup(t, ctx, seeds, grp, topic, 2, n)
		t.Logf("consumed and closed in %v", time.Since(start))
		seen.Check(t, n, false)
		t.Logf("%d records consumed twice (marked but not yet committed at a rebalance)", seen.Dupes())
		kafkatest.CheckCommitted(t, ctx, adm, grp, topic)
	})

	t.Run("kafka-go", func(t *testing.T) {
		t.Parallel()
		const topic, grp, n = "kafkago", "kafkago-group", 120
		qcCreate(t, ctx, adm, topic)
		kafkatest.KafkaGo(t, ctx, seeds, adm, topic, grp, n)
	})

	t.Run("kcat", func(t *testing.T) {
		t.Parallel()
		const topic, grp = "kcat", "kcat-group"
		qcCreate(t, ctx, adm, topic)
		wants := []string{"3 brokers:", "replicas: 1,2,3"}
		for _, s := range seeds {
			wants = append(wants, " at "+s)
		}
		kafkatest.Kcat(t, ctx, seeds, adm, topic, grp, wants, "-X", "acks=all", "-z", "zstd")
	})
}
