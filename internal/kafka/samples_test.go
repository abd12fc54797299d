package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/batch"
)

// Sample requests of every served api, with every field a schema walks
// present (arrays non-empty), on the topic "orders" (3 partitions) that
// sampleBackend holds. flexible_test.go walks them, versions_test.go sends
// them at every version, the fuzz target starts from them.

const sampleTopic = "orders"

func sampleBackend() *fakeBackend { return newFakeBackend().withTopic(sampleTopic, 3) }

// sampleBatch is one uncompressed v2 batch of n records, as kgo writes it.
func sampleBatch(n int) []byte {
	var recs []kgo.Record
	for i := range n {
		recs = append(recs, kgo.Record{Key: []byte{byte('a' + i)}, Value: []byte("value"), Timestamp: time.UnixMilli(1700000000000 + int64(i))})
	}
	return encodeBatch(recs)
}

// encodeBatch writes records as one v2 batch with kmsg (base offset 0,
// no compression, no producer id).
func encodeBatch(recs []kgo.Record) []byte {
	var rb []byte
	first := recs[0].Timestamp.UnixMilli()
	for i, r := range recs {
		rec := kmsg.NewRecord()
		rec.TimestampDelta64 = r.Timestamp.UnixMilli() - first
		rec.OffsetDelta = int32(i)
		rec.Key, rec.Value = r.Key, r.Value
		rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the zero length took one byte
		rb = rec.AppendTo(rb)
	}
	b := kmsg.NewRecordBatch()
	b.PartitionLeaderEpoch = -1
	b.Magic = 2
	b.LastOffsetDelta = int32(len(recs) - 1)
	b.FirstTimestamp = first
	b.MaxTimestamp = recs[len(recs)-1].Timestamp.UnixMilli()
	b.ProducerID, b.ProducerEpoch, b.FirstSequence = -1, -1, -1
	b.NumRecords = int32(len(recs))
	b.Records = rb
	raw := b.AppendTo(nil)
	b.Length = int32(len(raw) - 12)
	raw = b.AppendTo(nil)
	b.CRC = int32(batch.ComputeCRC(raw))
	return b.AppendTo(nil)
}

func produceReq(v int16, acks int16, partition int32, records []byte) *kmsg.ProduceRequest {
	r := kmsg.NewPtrProduceRequest()
	r.Version, r.Acks, r.TimeoutMillis = v, acks, 5000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = sampleTopic
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition, p.Records = partition, records
	t.Partitions = append(t.Partitions, p)
	r.Topics = append(r.Topics, t)
	return r
}

func fetchReq(v int16, partition int32, offset int64, maxWait, minBytes int32) *kmsg.FetchRequest {
	r := kmsg.NewPtrFetchRequest()
	r.Version, r.MaxWaitMillis, r.MinBytes, r.MaxBytes = v, maxWait, minBytes, 1<<20
	r.SessionEpoch = -1
	t := kmsg.NewFetchRequestTopic()
	t.Topic = sampleTopic
	p := kmsg.NewFetchRequestTopicPartition()
	p.Partition, p.FetchOffset, p.PartitionMaxBytes = partition, offset, 1<<20
	t.Partitions = append(t.Partitions, p)
	r.Topics = append(r.Topics, t)
	return r
}

var samples = map[int16]func(v int16) kmsg.Request{
	apiVersionsKey: func(v int16) kmsg.Request { return apiVersionsReq(v) },
	3: func(v int16) kmsg.Request {
		r := metadataReq(v, "orders", "events")
		r.AllowAutoTopicCreation, r.IncludeTopicAuthorizedOperations = true, true
		if v >= 10 {
			r.Topics = append(r.Topics, kmsg.MetadataRequestTopic{TopicID: [16]byte{1, 2, 3}})
		}
		return r
	},
	0: func(v int16) kmsg.Request { return produceReq(v, -1, 0, sampleBatch(2)) },
	1: func(v int16) kmsg.Request {
		r := fetchReq(v, 0, 0, 0, 0)
		r.Rack = "rack"
		ft := kmsg.NewFetchRequestForgottenTopic()
		ft.Topic, ft.Partitions = "gone", []int32{1}
		r.ForgottenTopics = append(r.ForgottenTopics, ft)
		return r
	},
	2: func(v int16) kmsg.Request {
		r := kmsg.NewPtrListOffsetsRequest()
		r.Version = v
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = sampleTopic
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Timestamp = -2
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
		return r
	},
	19: func(v int16) kmsg.Request {
		r := kmsg.NewPtrCreateTopicsRequest()
		r.Version, r.TimeoutMillis = v, 5000
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = "created", 2, 1
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Replicas = []int32{0}
		t.ReplicaAssignment = append(t.ReplicaAssignment, a) // answered INVALID_REQUEST
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = "retention.ms", kmsg.StringPtr("1000")
		t.Configs = append(t.Configs, c)
		r.Topics = append(r.Topics, t)
		return r
	},
	20: func(v int16) kmsg.Request {
		r := kmsg.NewPtrDeleteTopicsRequest()
		r.Version, r.TimeoutMillis, r.TopicNames = v, 5000, []string{"missing"}
		if v >= 6 {
			r.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: kmsg.StringPtr("missing")}}
		}
		return r
	},
	22: func(v int16) kmsg.Request {
		r := kmsg.NewPtrInitProducerIDRequest()
		r.Version, r.TransactionTimeoutMillis = v, 1000
		return r
	},
	23: func(v int16) kmsg.Request {
		r := kmsg.NewPtrOffsetForLeaderEpochRequest()
		r.Version = v
		t := kmsg.NewOffsetForLeaderEpochRequestTopic()
		t.Topic = sampleTopic
		p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		p.LeaderEpoch = 1
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
		return r
	},
	32: func(v int16) kmsg.Request {
		r := kmsg.NewPtrDescribeConfigsRequest()
		r.Version, r.IncludeSynonyms, r.IncludeDocumentation = v, true, true
		res := kmsg.NewDescribeConfigsRequestResource()
		res.ResourceType, res.ResourceName, res.ConfigNames = kmsg.ConfigResourceTypeTopic, sampleTopic, []string{"retention.ms"}
		r.Resources = append(r.Resources, res)
		return r
	},
	33: func(v int16) kmsg.Request {
		r := kmsg.NewPtrAlterConfigsRequest()
		r.Version, r.ValidateOnly = v, true
		res := kmsg.NewAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeTopic, sampleTopic
		c := kmsg.NewAlterConfigsRequestResourceConfig()
		c.Name, c.Value = "retention.ms", kmsg.StringPtr("1000")
		res.Configs = append(res.Configs, c)
		r.Resources = append(r.Resources, res)
		return r
	},
	37: func(v int16) kmsg.Request {
		r := kmsg.NewPtrCreatePartitionsRequest()
		r.Version, r.TimeoutMillis, r.ValidateOnly = v, 5000, true
		t := kmsg.NewCreatePartitionsRequestTopic()
		t.Topic, t.Count = sampleTopic, 4
		a := kmsg.NewCreatePartitionsRequestTopicAssignment()
		a.Replicas = []int32{0}
		t.Assignment = append(t.Assignment, a) // answered INVALID_REQUEST
		r.Topics = append(r.Topics, t)
		return r
	},
	44: func(v int16) kmsg.Request {
		r := kmsg.NewPtrIncrementalAlterConfigsRequest()
		r.Version, r.ValidateOnly = v, true
		res := kmsg.NewIncrementalAlterConfigsRequestResource()
		res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeTopic, sampleTopic
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value = "retention.ms", kmsg.StringPtr("1000")
		res.Configs = append(res.Configs, c)
		r.Resources = append(r.Resources, res)
		return r
	},
	60: func(v int16) kmsg.Request {
		r := kmsg.NewPtrDescribeClusterRequest()
		r.Version, r.EndpointType, r.IncludeClusterAuthorizedOperations = v, 1, true
		return r
	},
}

func timeMilli(ms int64) time.Time { return time.UnixMilli(ms) }
