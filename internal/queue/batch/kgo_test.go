package batch

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeBroker answers just enough of the Kafka protocol (ApiVersions,
// Metadata, InitProducerId, Produce) for a real kgo producer to send it
// record batches, which it keeps.
type fakeBroker struct {
	ln   net.Listener
	mu   sync.Mutex
	sets [][]byte
	next int64
}

func startFakeBroker(t *testing.T) *fakeBroker {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { b.serve(c) })
		}
	})
	return b
}

func (b *fakeBroker) serve(c net.Conn) {
	defer c.Close()
	for {
		var size [4]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		buf := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		key, version := int16(binary.BigEndian.Uint16(buf)), int16(binary.BigEndian.Uint16(buf[2:]))
		corr := binary.BigEndian.Uint32(buf[4:])
		clientLen := int(int16(binary.BigEndian.Uint16(buf[8:])))
		body := buf[10+max(clientLen, 0):]
		req := kmsg.RequestForKey(key)
		req.SetVersion(version)
		if req.IsFlexible() {
			body = body[1:] // no tagged fields in the header
		}
		if err := req.ReadFrom(body); err != nil {
			return
		}
		resp := b.handle(req)
		if resp == nil {
			return
		}
		out := binary.BigEndian.AppendUint32(make([]byte, 4), corr)
		if resp.IsFlexible() && key != 18 { // ApiVersions answers with header v0
			out = append(out, 0)
		}
		out = resp.AppendTo(out)
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func (b *fakeBroker) handle(req kmsg.Request) kmsg.Response {
	switch req := req.(type) {
	case *kmsg.ApiVersionsRequest:
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		for _, k := range [][3]int16{{0, 3, 9}, {3, 0, 9}, {18, 0, 3}, {22, 0, 4}} {
			resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k[0], MinVersion: k[1], MaxVersion: k[2]})
		}
		return resp
	case *kmsg.MetadataRequest:
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		host, port, _ := net.SplitHostPort(b.ln.Addr().String())
		p, _ := strconv.Atoi(port)
		resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: 0, Host: host, Port: int32(p)}}
		for _, rt := range req.Topics {
			topic := kmsg.NewMetadataResponseTopic()
			topic.Topic = rt.Topic
			part := kmsg.NewMetadataResponseTopicPartition()
			part.Leader, part.Replicas, part.ISR = 0, []int32{0}, []int32{0}
			topic.Partitions = append(topic.Partitions, part)
			resp.Topics = append(resp.Topics, topic)
		}
		return resp
	case *kmsg.InitProducerIDRequest:
		resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
		resp.ProducerID, resp.ProducerEpoch = 4242, 3
		return resp
	case *kmsg.ProduceRequest:
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, rt := range req.Topics {
			t := kmsg.NewProduceResponseTopic()
			t.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewProduceResponseTopicPartition()
				p.Partition = rp.Partition
				p.BaseOffset = b.next
				if bs, err := ParseBatches(rp.Records, Limits{}); err != nil {
					p.ErrorCode = 2 // CORRUPT_MESSAGE
				} else {
					for _, bt := range bs {
						b.next += int64(bt.RecordCount)
					}
					b.sets = append(b.sets, rp.Records)
				}
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp
	}
	return nil
}

// A real franz-go producer, idempotent, over a real socket: its batches
// in every codec parse, validate and decode to what it sent.
func TestKgoProducedBatches(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			b := startFakeBroker(t)
			cl, err := kgo.NewClient(
				kgo.SeedBrokers(b.ln.Addr().String()),
				kgo.ProducerBatchCompression(kgoCodec(c)),
				kgo.DefaultProduceTopic("t"),
				kgo.RequiredAcks(kgo.AllISRAcks()),
			)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var recs []*kgo.Record
			for i := range 50 {
				recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "value %d %s", i, c)})
			}
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			var i int
			var nextSeq int32
			for _, set := range b.sets {
				bs, err := ParseBatches(set, Limits{MaxBatches: 1})
				if err != nil {
					t.Fatal(err)
				}
				for _, bt := range bs {
					if bt.Attributes.Codec() != c || bt.ProducerID != 4242 || bt.ProducerEpoch != 3 || bt.BaseSequence != nextSeq {
						t.Fatalf("header %+v", bt.Header)
					}
					nextSeq = bt.LastSequence() + 1
					if err := CheckRecords(NewDecompressor(0), bt, true); err != nil {
						t.Fatal(err)
					}
					raw, err := Decompress(c, bt.Records())
					if err != nil {
						t.Fatal(err)
					}
					it := NewRecordIterator(raw)
					for r, ok := it.Next(); ok; r, ok = it.Next() {
						if string(r.Key) != string(recs[i].Key) || string(r.Value) != string(recs[i].Value) {
							t.Fatalf("record %d: %q=%q", i, r.Key, r.Value)
						}
						i++
					}
					if it.Err() != nil {
						t.Fatal(it.Err())
					}
				}
			}
			if i != len(recs) {
				t.Fatalf("%d of %d records seen", i, len(recs))
			}
		})
	}
}
