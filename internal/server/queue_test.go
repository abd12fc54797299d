package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"triad/internal/config"
	"triad/internal/kafkatest"
	"triad/internal/queue"
)

// A single node serves Kafka clients: topics auto-created and created by
// kadm, an idempotent kgo producer with every codec, consumption from the
// start, list offsets; and everything survives a restart from disk.
func TestNodeServesKafka(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, nil)
	addr := n.KafkaAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	adm := kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(addr)))
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "orders"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	const perCodec = 200
	want := map[string]bool{}
	for ci, codec := range codecs {
		p := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ProducerBatchCompression(codec), kgo.RequiredAcks(kgo.AllISRAcks()))
		var recs []*kgo.Record
		for i := range perCodec {
			v := fmt.Sprintf("c%d-%d", ci, i)
			want[v] = true
			recs = append(recs, &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprint(i % 7)), Value: []byte(v)})
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce with %v: %v", codec, err)
		}
		p.Close()
	}
	// Auto-creation: a topic nobody created, default 3 partitions.
	p := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctx, &kgo.Record{Topic: "auto", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce to an auto-created topic: %v", err)
	}
	p.Close()
	td, err := adm.ListTopics(ctx, "auto")
	if err != nil || len(td["auto"].Partitions) != 3 {
		t.Fatalf("auto-created topic: %v %+v", err, td)
	}

	consumeAll := func(addr string) map[string]bool {
		t.Helper()
		c := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ConsumeTopics("orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		defer c.Close()
		got := map[string]bool{}
		for len(got) < len(want) {
			fs := c.PollFetches(ctx)
			if err := ctx.Err(); err != nil {
				t.Fatalf("consumed %d of %d records: %v", len(got), len(want), err)
			}
			fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
			fs.EachRecord(func(r *kgo.Record) {
				if got[string(r.Value)] {
					t.Fatalf("record %q consumed twice", r.Value)
				}
				got[string(r.Value)] = true
			})
		}
		return got
	}
	consumeAll(addr)

	ends, err := adm.ListEndOffsets(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != int64(len(want)) {
		t.Fatalf("end offsets sum to %d, want %d", total, len(want))
	}

	// Restart from disk: the topic, its records and offsets are back.
	stop()
	n2, _ := startNode(t, dir, nil)
	got := consumeAll(n2.KafkaAddr())
	if len(got) != len(want) {
		t.Fatalf("after restart consumed %d records, want %d", len(got), len(want))
	}
}

// A kgo consumer group on a node: members share the partitions, commit,
// and the committed offsets survive a restart (they live in the
// __consumer_offsets partitions, raft groups like any other): a member of
// the same group after the restart reads only what came after.
func TestNodeConsumerGroupOffsetsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	n, stop := startNode(t, dir, nil)
	addr := n.KafkaAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	adm := kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(addr)))
	if _, err := adm.CreateTopic(ctx, 4, 1, nil, "jobs"); err != nil {
		t.Fatal(err)
	}
	produce := func(addr string, from, to int) {
		t.Helper()
		p := kafkatest.Client(t, kgo.SeedBrokers(addr))
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			recs = append(recs, &kgo.Record{Topic: "jobs", Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "job-%d", i)})
		}
		if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		p.Close()
	}
	consume := func(addr string, want int) map[string]bool {
		t.Helper()
		c := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ConsumerGroup("workers"), kgo.ConsumeTopics("jobs"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
			kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
		got := map[string]bool{}
		for len(got) < want && ctx.Err() == nil {
			fs := c.PollFetches(ctx)
			fs.EachError(func(tp string, p int32, err error) { t.Logf("fetch %s-%d: %v", tp, p, err) })
			fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
		}
		if err := c.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		c.Close() // leaves the group
		return got
	}
	produce(addr, 0, 100)
	if got := consume(addr, 100); len(got) != 100 {
		t.Fatalf("first member read %d records", len(got))
	}
	lag, err := adm.Lag(ctx, "workers")
	if err != nil {
		t.Fatal(err)
	}
	if tot := lag["workers"].Lag.Total(); tot != 0 {
		t.Fatalf("lag after committing everything: %d", tot)
	}

	stop()
	n2, _ := startNode(t, dir, nil)
	addr = n2.KafkaAddr()
	produce(addr, 100, 130)
	got := consume(addr, 30)
	for v := range got {
		var i int
		fmt.Sscanf(v, "job-%d", &i)
		if i < 100 {
			t.Fatalf("after the restart the group re-read %s: its committed offsets were lost", v)
		}
	}
	if len(got) != 30 {
		t.Fatalf("after the restart the group read %d new records, want 30", len(got))
	}
}

// A compacted topic read by kgo: after the cleaner ran, a consumer from
// the start sees every key's latest value at its original offset, fewer
// records than were written, and steps over batches compaction emptied.
func TestNodeCompactedTopicWithKgo(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Cache.Addr, cfg.HTTP.Addr, cfg.Queue.Addr = "127.0.0.1:0", "", "127.0.0.1:0"
	cfg.Coord.Addr, cfg.Coord.PeerAddr = "127.0.0.1:0", "127.0.0.1:0"
	n, err := NewWithOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{
		Queue: func(q *queue.Config) { q.SnapshotEntries, q.RetentionCheck = 20, 50*time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(rctx) }()
	defer func() { stop(); <-done }()
	<-n.Ready()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := n.KafkaAddr()
	adm := kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(addr)))
	compact, seg := "compact", "2048"
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": &compact, "segment.bytes": &seg}, "state"); err != nil {
		t.Fatal(err)
	}
	p := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ProducerLinger(0))
	const total, keys = 400, 8
	latest := map[string]string{}
	for i := range total {
		k, v := fmt.Sprintf("key-%d", i%keys), fmt.Sprintf("value-%d", i)
		if err := p.ProduceSync(ctx, &kgo.Record{Topic: "state", Key: []byte(k), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		latest[k] = v
	}
	read := func() (int, map[string]string) {
		c := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"state": {0: kgo.NewOffset().AtStart()}}))
		defer c.Close()
		n, vals := 0, map[string]string{}
		var last int64 = -1
		for last < total-1 && ctx.Err() == nil {
			fs := c.PollFetches(ctx)
			fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
			fs.EachRecord(func(r *kgo.Record) {
				n++
				vals[string(r.Key)] = string(r.Value)
				last = r.Offset
			})
		}
		return n, vals
	}
	for {
		n, vals := read()
		for k, v := range latest {
			if vals[k] != v {
				t.Fatalf("key %s: read %q, latest %q", k, vals[k], v)
			}
		}
		if n < total/2 {
			t.Logf("a consumer from the start read %d of %d records", n, total)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("compaction never ran: still %d records", n)
		}
		<-time.After(100 * time.Millisecond)
	}
}

// Large batches go from the segment files to the socket by sendfile
// (regions of 16 KiB and more); a kgo consumer reads every byte back as
// produced, across segments (segment.bytes 1 MiB) and fetch sizes.
func TestNodeFetchesLargeBatches(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), nil)
	addr := n.KafkaAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adm := kadm.NewClient(kafkatest.Client(t, kgo.SeedBrokers(addr)))
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"segment.bytes": kadm.StringPtr("1048576")}, "big"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	value := func(i int) []byte {
		v := make([]byte, 20<<10)
		for j := range v {
			v[j] = byte(i*31 + j/7)
		}
		return v
	}
	const total = 300
	p := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerLinger(5*time.Millisecond))
	var recs []*kgo.Record
	for i := range total {
		recs = append(recs, &kgo.Record{Topic: "big", Key: []byte(fmt.Sprint(i)), Value: value(i)})
	}
	if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	p.Close()

	c := kafkatest.Client(t, kgo.SeedBrokers(addr), kgo.ConsumeTopics("big"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(3<<20), kgo.FetchMaxPartitionBytes(1<<20))
	defer c.Close()
	next := 0
	for next < total {
		fs := c.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", next, total, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s-%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != int64(next) || string(r.Key) != fmt.Sprint(next) || !bytes.Equal(r.Value, value(next)) {
				t.Fatalf("record at offset %d (key %s, %d bytes): want offset %d with its value", r.Offset, r.Key, len(r.Value), next)
			}
			next++
		})
	}
}
