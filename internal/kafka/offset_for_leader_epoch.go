package kafka

// OffsetForLeaderEpoch (key 23), versions 0–4: every version kmsg knows. v1
// returns the epoch found (KIP-279), v2 carries the client's current leader
// epoch (KIP-320), v3 the replica id, v4 is flexible. Consumers use it to
// detect log truncation after a leader change (kgo does, before fetching
// from a new leader).
//
// Semantics: per partition, the end offset of the asked epoch and the
// largest epoch at most it (leader epochs are the partition's raft terms).
// The client's current leader epoch (v2+) is not passed on: the Backend
// method does not take it, so a stale leader view is not fenced here
// (FENCED_LEADER_EPOCH) but answered from the current leader's log, which
// is what the client then compares against. The replica id is ignored.
// Errors answer end offset and leader epoch -1, as Kafka does.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const offsetForLeaderEpochMax = 4

func handleOffsetForLeaderEpoch(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition = p.Partition
			end, epoch, err := rc.s.backend.OffsetForLeaderEpoch(ctx, t.Topic, p.Partition, p.LeaderEpoch)
			if err != nil {
				rp.ErrorCode = errorCode(err)
				end, epoch = -1, -1
			}
			rp.EndOffset, rp.LeaderEpoch = end, epoch
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}
