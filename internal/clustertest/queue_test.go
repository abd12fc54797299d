package clustertest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/kafkatest"
	"triad/internal/queue/batch"
)

// A topic replicated on three nodes: an idempotent acks=all producer
// keeps writing while the leader of a partition is killed; raft elects
// another, the producer continues on it, and reading every partition from
// the start returns every acknowledged record exactly once, in order.
func TestQueueLeaderKilledDuringProduce(t *testing.T) {
	c, seeds, adm, ctx := qcCluster(t)
	const parts = 3
	if _, err := adm.CreateTopic(ctx, parts, 3, nil, "events"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	leaderOf := func(p int32) int32 {
		for ctx.Err() == nil {
			md, err := adm.Metadata(ctx, "events")
			if err == nil {
				if pd, ok := md.Topics["events"].Partitions[p]; ok && pd.Leader >= 1 && len(pd.Replicas) == 3 {
					return pd.Leader
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		t.Fatalf("partition %d has no leader", p)
		return -1
	}
	for p := range int32(parts) {
		leaderOf(p)
	}

	prod, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProduceRequestTimeout(5*time.Second), kgo.RecordRetries(1000))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	acked := make([][]string, parts)
	produce := func(from, to int) {
		t.Helper()
		for i := from; i < to; i += 30 {
			var recs []*kgo.Record
			for j := i; j < min(i+30, to); j++ {
				recs = append(recs, &kgo.Record{Topic: "events", Partition: int32(j % parts), Value: fmt.Appendf(nil, "r%05d", j)})
			}
			res := prod.ProduceSync(ctx, recs...)
			for _, r := range res {
				if r.Err != nil {
					t.Fatalf("produce %s: %v", r.Record.Value, r.Err)
				}
				acked[r.Record.Partition] = append(acked[r.Record.Partition], string(r.Record.Value))
			}
		}
	}
	produce(0, 600)
	victim := leaderOf(0)
	var killed *Node
	for _, nd := range c.Nodes() {
		if int32(nd.cfg.Queue.BrokerID) == victim {
			killed = nd
		}
	}
	start := time.Now()
	killed.Stop()
	produce(600, 1200)
	t.Logf("killed broker %d (leader of partition 0); 600 more records acknowledged in %v", victim, time.Since(start))
	if l := leaderOf(0); l == victim {
		t.Fatalf("partition 0 still led by the stopped broker %d", l)
	}

	var live []string
	for _, nd := range c.Nodes() {
		if nd != killed {
			live = append(live, nd.KafkaAddr())
		}
	}
	for p := range int32(parts) {
		cons, err := kgo.NewClient(kgo.SeedBrokers(live...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			"events": {p: kgo.NewOffset().AtStart()},
		}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for len(got) < len(acked[p]) && ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			fs.EachError(func(_ string, _ int32, err error) { t.Logf("fetch partition %d: %v", p, err) })
			fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		}
		cons.Close()
		if !slices.Equal(got, acked[p]) {
			t.Fatalf("partition %d: read %d records, acknowledged %d; first difference at %d", p, len(got), len(acked[p]), firstDiff(got, acked[p]))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// min.insync.replicas counts the voters the leader has heard from
// recently: with one of three nodes down, a topic that asks for 3 refuses
// acks=all produces with NOT_ENOUGH_REPLICAS, while acks=1 still works
// (a majority is up) — and once the node is back, acks=all works again.
func TestQueueMinInsyncReplicas(t *testing.T) {
	c, seeds, adm, ctx := qcCluster(t)
	cl := kafkatest.Client(t, kgo.SeedBrokers(seeds...))
	three := "3"
	if _, err := adm.CreateTopic(ctx, 1, 3, map[string]*string{"min.insync.replicas": &three}, "strict"); err != nil {
		t.Fatal(err)
	}
	var leader int32 = -1
	for leader < 1 && ctx.Err() == nil {
		md, err := adm.Metadata(ctx, "strict")
		if err == nil {
			leader = md.Topics["strict"].Partitions[0].Leader
		}
	}
	// Stop a node that is not the leader.
	var down *Node
	var live []string
	for _, nd := range c.Nodes() {
		if down == nil && int32(nd.cfg.Queue.BrokerID) != leader {
			down = nd
			continue
		}
		live = append(live, nd.KafkaAddr())
	}
	down.Stop()
	// Raw produce requests: the error code itself, without the client's
	// retries (kgo retries NOT_ENOUGH_REPLICAS until its delivery timeout).
	// kgo stamps its own acks setting on requests, hence a client per acks.
	cl1 := kafkatest.Client(t, kgo.SeedBrokers(seeds...), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	produce := func(acks int16) int16 {
		via := cl
		if acks == 1 {
			via = cl1
		}
		req := kmsg.NewPtrProduceRequest()
		req.Acks, req.TimeoutMillis = acks, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "strict"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = batch.Build([]batch.Record{{Value: []byte("x")}}, time.Now().UnixMilli())
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		kresp, err := via.Broker(int(leader)).Request(ctx, req)
		if err != nil {
			t.Fatalf("produce: %v", err)
		}
		return kresp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode
	}
	for {
		code := produce(-1)
		if code == kerr.NotEnoughReplicas.Code {
			break
		}
		if code != 0 || ctx.Err() != nil {
			t.Fatalf("acks=all with a replica down answered %v, want NOT_ENOUGH_REPLICAS once the leader notices", kerr.ErrorForCode(code))
		}
		<-time.After(50 * time.Millisecond)
	}
	if code := produce(1); code != 0 {
		t.Fatalf("acks=1 with a majority up: %v", kerr.ErrorForCode(code))
	}
	down.Start()
	for {
		code := produce(-1)
		if code == 0 {
			break
		}
		if code != kerr.NotEnoughReplicas.Code || ctx.Err() != nil {
			t.Fatalf("acks=all after the replica returned: %v", kerr.ErrorForCode(code))
		}
		<-time.After(50 * time.Millisecond)
	}
}
