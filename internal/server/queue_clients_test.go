package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/kafkatest"
)

// Real Kafka clients (franz-go, sarama, segmentio/kafka-go, kcat) against
// one real node: the scenarios of internal/kafka's client tests, on the
// queue service instead of the fake backend.

// qcParts is the partition count of these tests' topics.
const qcParts = kafkatest.Parts

// qcNode starts a node and returns its Kafka address, a kadm client and a
// context bounding the test.
func qcNode(t *testing.T) (string, *kadm.Client, context.Context) {
	t.Helper()
	n, _ := startNode(t, t.TempDir(), nil)
	addr := n.KafkaAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return addr, kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(addr))), ctx
}

// qcCreate creates topic with qcParts partitions.
func qcCreate(t *testing.T, ctx context.Context, adm *kadm.Client, topic string) {
	t.Helper()
	r, err := adm.CreateTopic(ctx, qcParts, 1, nil, topic)
	if err != nil || r.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, r.Err)
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
	prod := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	seen := kafkatest.NewSeen(t)
	seeds := []string{addr}

	a := kafkatest.StartMember(t, seeds, grp, topic, seen, nil)
	b := kafkatest.StartMember(t, seeds, grp, topic, seen, nil)
	kafkatest.Produce(t, ctx, prod, topic, 0, phase)
	seen.WaitFor(t, ctx, phase)

	c := kafkatest.StartMember(t, seeds, grp, topic, seen, nil)
	d := kafkatest.WaitGroup(t, ctx, adm, grp, 3)
	if d.ProtocolType != "consumer" || d.Protocol == "" {
		t.Errorf("protocol %s/%s", d.ProtocolType, d.Protocol)
	}
	kafkatest.Produce(t, ctx, prod, topic, phase, 2*phase)
	seen.WaitFor(t, ctx, 2*phase)

	a.Close()
	kafkatest.WaitGroup(t, ctx, adm, grp, 2)
	kafkatest.Produce(t, ctx, prod, topic, 2*phase, 3*phase)
	seen.WaitFor(t, ctx, 3*phase)
	b.Close()
	c.Close()
	seen.Check(t, 3*phase, true)

	kafkatest.CheckCommitted(t, ctx, adm, grp, topic)
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
	prod := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
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

// sarama: an idempotent acks=all SyncProducer, then a consumer group of two
// members consumes everything and commits it.
func TestNodeClientsSarama(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp, n = "sarama", "sarama-group", 120
	qcCreate(t, ctx, adm, topic)
	next := map[int32]int64{}
	kafkatest.SaramaProduce(t, []string{addr}, topic, 0, n, next)
	seen := kafkatest.SaramaGroup(t, ctx, []string{addr}, grp, topic, 2, n)
	seen.Check(t, n, false)
	t.Logf("%d records consumed twice (marked but not yet committed at a rebalance)", seen.Dupes())
	kafkatest.CheckCommitted(t, ctx, adm, grp, topic)
}

// segmentio/kafka-go: a Writer, then a Reader with a GroupID reading
// everything and committing.
func TestNodeClientsKafkaGo(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp, n = "kafkago", "kafkago-group", 120
	qcCreate(t, ctx, adm, topic)
	kafkatest.KafkaGo(t, ctx, []string{addr}, adm, topic, grp, n)
}

// kcat (Debian's, librdkafka): -L, produce, consume from the beginning, and
// consume by group (-G), which commits.
func TestNodeClientsKcat(t *testing.T) {
	addr, adm, ctx := qcNode(t)
	const topic, grp = "kcat", "kcat-group"
	qcCreate(t, ctx, adm, topic)
	kafkatest.Kcat(t, ctx, []string{addr}, adm, topic, grp, []string{"1 brokers:", " at " + addr}, "-z", "lz4")
	ds, err := adm.DescribeGroups(ctx, grp)
	if err != nil || ds[grp].State != "Empty" {
		t.Errorf("after kcat left: %+v, %v", ds[grp], err)
	}
}
