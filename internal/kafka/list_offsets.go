package kafka

// ListOffsets (key 2), versions 1–7.
//
// Why 1: v0 answers a list of up to max_num_offsets segment-start offsets
// ("old style"), a form only pre-0.10.1 clients use and Kafka 4.0 dropped
// (KIP-896); every client we serve sends v1+ (librdkafka 2.0 v1+, sarama
// v1+ from Kafka 0.10.1 on, kgo the max).
//
// Why 7: v7 lets a client ask for the offset with the largest timestamp
// (-3, KIP-734), which the backend serves or refuses (queue.ErrUnsupported);
// v8 (-4, KIP-405) and v9 (-5, KIP-1005) ask about tiered storage, v10 adds
// a timeout for remote storage. kgo and sarama negotiate down.
//
// Semantics: timestamp -1 latest (the high watermark), -2 earliest (the log
// start), ≥ 0 the first offset whose timestamp is at least it (offset and
// timestamp -1 if there is none). The isolation level (v2+) makes no
// difference without transactions. current_leader_epoch (v4+) is passed to
// the backend for fencing; leader_epoch (v4+) comes back. Errors answer
// offset, timestamp and leader epoch -1, as Kafka does.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	listOffsetsMin = 1
	listOffsetsMax = 7
)

func handleListOffsets(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			off, err := rc.s.backend.ListOffsets(ctx, t.Topic, p.Partition, p.Timestamp, p.CurrentLeaderEpoch)
			if err != nil {
				rp.ErrorCode = errorCode(err)
				rp.Timestamp, rp.Offset, rp.LeaderEpoch = -1, -1, -1
			} else {
				rp.Timestamp, rp.Offset, rp.LeaderEpoch = off.Timestamp, off.Offset, off.LeaderEpoch
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}
