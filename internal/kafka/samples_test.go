package kafka

import (
	"strconv"
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

// Group samples: JoinGroup joins a group of its own per version (a fresh
// group's first member is answered at once, with no rebalance delay in the
// fake); the others name a group nobody joined and are answered at once.
func init() {
	samples[8] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrOffsetCommitRequest()
		r.Version, r.Group, r.Generation, r.MemberID, r.InstanceID = v, "commits", -1, "", kmsg.StringPtr("i")
		t := kmsg.NewOffsetCommitRequestTopic()
		t.Topic, t.TopicID = sampleTopic, [16]byte{1}
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch, p.Metadata = 1, 5, 1, kmsg.StringPtr("meta")
		t.Partitions = append(t.Partitions, p)
		r.Topics = append(r.Topics, t)
		return r
	}
	samples[9] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrOffsetFetchRequest()
		r.Version, r.Group, r.RequireStable = v, "commits", true
		t := kmsg.NewOffsetFetchRequestTopic()
		t.Topic, t.Partitions = sampleTopic, []int32{0, 1}
		r.Topics = append(r.Topics, t)
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group, g.MemberID = "commits", kmsg.StringPtr("m")
		gt := kmsg.NewOffsetFetchRequestGroupTopic()
		gt.Topic, gt.TopicID, gt.Partitions = sampleTopic, [16]byte{1}, []int32{1}
		g.Topics = append(g.Topics, gt)
		r.Groups = append(r.Groups, g)
		return r
	}
	samples[10] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrFindCoordinatorRequest()
		r.Version, r.CoordinatorKey, r.CoordinatorKeys = v, "g", []string{"g", "h"}
		return r
	}
	samples[11] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrJoinGroupRequest()
		r.Version, r.Group, r.SessionTimeoutMillis, r.RebalanceTimeoutMillis = v, "join-v"+strconv.Itoa(int(v)), 10000, 1000
		r.InstanceID, r.ProtocolType, r.Reason = kmsg.StringPtr("instance"), "consumer", kmsg.StringPtr("sample")
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = "range", []byte{0, 1}
		r.Protocols = append(r.Protocols, p)
		return r
	}
	samples[12] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrHeartbeatRequest()
		r.Version, r.Group, r.Generation, r.MemberID, r.InstanceID = v, "nobody", 1, "m", kmsg.StringPtr("i")
		return r
	}
	samples[13] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrLeaveGroupRequest()
		r.Version, r.Group, r.MemberID = v, "nobody", "m"
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID, m.InstanceID, m.Reason = "m", kmsg.StringPtr("i"), kmsg.StringPtr("done")
		r.Members = append(r.Members, m)
		return r
	}
	samples[14] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrSyncGroupRequest()
		r.Version, r.Group, r.Generation, r.MemberID = v, "nobody", 1, "m"
		r.InstanceID, r.ProtocolType, r.Protocol = kmsg.StringPtr("i"), kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		a.MemberID, a.MemberAssignment = "m", []byte{0, 1}
		r.GroupAssignment = append(r.GroupAssignment, a)
		return r
	}
	samples[15] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrDescribeGroupsRequest()
		r.Version, r.Groups, r.IncludeAuthorizedOperations = v, []string{"nobody", "commits"}, true
		return r
	}
	samples[16] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrListGroupsRequest()
		r.Version, r.StatesFilter, r.TypesFilter = v, []string{"Empty"}, []string{"classic"}
		return r
	}
	samples[42] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrDeleteGroupsRequest()
		r.Version, r.Groups = v, []string{"nobody"}
		return r
	}
	samples[47] = func(v int16) kmsg.Request {
		r := kmsg.NewPtrOffsetDeleteRequest()
		r.Version, r.Group = v, "commits"
		t := kmsg.NewOffsetDeleteRequestTopic()
		t.Topic = sampleTopic
		t.Partitions = append(t.Partitions, kmsg.OffsetDeleteRequestTopicPartition{Partition: 1})
		r.Topics = append(r.Topics, t)
		return r
	}
}
