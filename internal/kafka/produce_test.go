package kafka

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// startFake serves b, which learns the server's address for Metadata.
func startFake(t *testing.T, b *fakeBackend) string {
	t.Helper()
	t.Cleanup(b.coord.Close) // after the server's shutdown (cleanups run last first)
	_, addr := startServer(t, Config{NodeID: 1}, b, func(s *Server) { b.srv = s })
	return addr
}

// A kgo idempotent producer (InitProducerId, Produce v9) with every codec,
// and a kgo consumer of direct partitions (ListOffsets, Fetch v12,
// OffsetForLeaderEpoch): every record comes back, in order per partition.
func TestKgoProduceConsume(t *testing.T) {
	b := sampleBackend()
	addr := startFake(t, b)
	ctx := testCtx(t)
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	const perCodec = 12
	want := map[int32][]string{}
	for i, codec := range codecs {
		cl := newClient(t, addr, kgo.DefaultProduceTopic(sampleTopic), kgo.ProducerBatchCompression(codec),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		var recs []*kgo.Record
		for j := range perCodec {
			p := int32(j % 3)
			v := fmt.Sprintf("codec%d-%d", i, j)
			recs = append(recs, &kgo.Record{Partition: p, Value: []byte(v)})
			want[p] = append(want[p], v)
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("codec %d: %v", i, err)
		}
		cl.Close()
	}

	start := map[int32]kgo.Offset{0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart(), 2: kgo.NewOffset().AtStart()}
	cons := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{sampleTopic: start}))
	got := map[int32][]string{}
	for n := 0; n < len(codecs)*perCodec; {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d records: %v", n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("%s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != int64(len(got[r.Partition])) {
				t.Errorf("partition %d: offset %d after %d records", r.Partition, r.Offset, len(got[r.Partition]))
			}
			got[r.Partition] = append(got[r.Partition], string(r.Value))
			n++
		})
	}
	for p := range int32(3) {
		if !slices.Equal(got[p], want[p]) {
			t.Errorf("partition %d: got %v, want %v", p, got[p], want[p])
		}
	}
}

// acks=0: kgo gets no response and expects none; the backend's wait still
// runs; on a raw connection the next request is answered next.
func TestProduceAcksZero(t *testing.T) {
	b := sampleBackend()
	b.waited = make(chan int16, 4)
	addr := startFake(t, b)
	ctx := testCtx(t)
	cl := newClient(t, addr, kgo.DefaultProduceTopic(sampleTopic), kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("fire and forget")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if acks := <-b.waited; acks != 0 {
		t.Fatalf("acks %d", acks)
	}

	c := dial(t, addr)
	writeReq(t, c, 1, produceReq(7, 0, 1, sampleBatch(1)))
	roundTrip(t, c, 2, apiVersionsReq(3)) // correlation 2 comes first
	<-b.waited
}

// The records are appended when the handler returns, before the answer
// (held here by the backend) is written.
func TestProduceAppendsBeforeAnswering(t *testing.T) {
	b := sampleBackend()
	b.produceGate, b.appended = make(chan struct{}), make(chan struct{}, 1)
	addr := startFake(t, b)
	var once sync.Once
	release := func() { once.Do(func() { close(b.produceGate) }) }
	t.Cleanup(release) // before the server's shutdown, which waits for the produce
	c := dial(t, addr)
	req := produceReq(9, -1, 2, sampleBatch(3))
	writeReq(t, c, 1, req)
	<-b.appended
	lo := samples[2](7).(*kmsg.ListOffsetsRequest)
	lo.Topics[0].Partitions[0].Partition, lo.Topics[0].Partitions[0].Timestamp = 2, -1
	resp := roundTrip(t, dial(t, addr), 1, lo).(*kmsg.ListOffsetsResponse)
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.Offset != 3 || p.LeaderEpoch != fakeEpoch {
		t.Fatalf("list offsets during the produce: %+v", p)
	}
	release()
	pr := readInto(t, c, 1, req).(*kmsg.ProduceResponse)
	if p := pr.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.BaseOffset != 0 || p.LogAppendTime != -1 || p.LogStartOffset != 0 {
		t.Fatalf("%+v", p)
	}
}

// readInto reads the response to req, sent earlier with correlation corr.
func readInto(t *testing.T, c net.Conn, corr int32, req kmsg.Request) kmsg.Response {
	t.Helper()
	got, body := readResp(t, c)
	if got != corr {
		t.Fatalf("correlation id %d, want %d", got, corr)
	}
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != apiVersionsKey {
		body = body[1:] // empty tagged fields
	}
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("decoding %T: %v", resp, err)
	}
	return resp
}

func TestProduceRefusals(t *testing.T) {
	b := sampleBackend()
	addr := startFake(t, b)
	c := dial(t, addr)
	corrupt := sampleBatch(1)
	corrupt[len(corrupt)-1] ^= 0xff
	txn := produceReq(9, -1, 0, sampleBatch(1))
	txn.TransactionID = kmsg.StringPtr("txn")
	missing := produceReq(9, 1, 0, sampleBatch(1))
	missing.Topics[0].Topic = "missing"
	for _, tc := range []struct {
		name string
		req  *kmsg.ProduceRequest
		code int16
	}{
		{"acks 2", produceReq(9, 2, 0, sampleBatch(1)), CodeInvalidRequiredAcks},
		{"transactional", txn, CodeTransactionalIDAuthorizationFailed},
		{"unknown topic", missing, CodeUnknownTopicOrPartition},
		{"unknown partition", produceReq(3, 1, 7, sampleBatch(1)), CodeUnknownTopicOrPartition},
		{"bad crc", produceReq(9, -1, 0, corrupt), CodeCorruptMessage},
		{"no records", produceReq(5, -1, 0, nil), CodeInvalidRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := roundTrip(t, c, 1, tc.req).(*kmsg.ProduceResponse)
			p := resp.Topics[0].Partitions[0]
			if p.ErrorCode != tc.code || p.BaseOffset != -1 {
				t.Fatalf("%s, base offset %d; want %s", CodeName(p.ErrorCode), p.BaseOffset, CodeName(tc.code))
			}
			if tc.req.Version >= 8 && (p.ErrorMessage == nil || *p.ErrorMessage == "") {
				t.Error("no error message")
			}
		})
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if got := b.topics[sampleTopic].parts[0].end; got != 0 {
		t.Fatalf("refused produces appended %d records", got)
	}
}
