package kafka

// OffsetDelete (key 47), version 0, Kafka's only one (KIP-496).
//
// Semantics: deletes a group's committed offsets for the partitions named.
// A group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a group of
// another protocol type that has members, not coordinator...) is the
// top-level code with no topics. Otherwise each partition answers its own
// code: UNKNOWN_TOPIC_OR_PARTITION for a partition of a topic that does not
// exist (not sent to the coordinator, as Kafka checks its metadata first),
// GROUP_SUBSCRIBED_TO_TOPIC for a topic a member of the group consumes.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
	"triad/internal/queue/group"
)

const offsetDeleteMax = 0

func handleOffsetDelete(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.OffsetDeleteRequest)
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	var names []string
	for _, t := range req.Topics {
		names = append(names, t.Topic)
	}
	exists, err := partitionsExist(ctx, rc.s.backend, names)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return respond(resp), nil
	}
	var errs []error
	var parts []group.TopicPartition
	var sent []int
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			var perr error
			if exists(t.Topic, p.Partition) {
				parts = append(parts, group.TopicPartition{Topic: t.Topic, Partition: p.Partition})
				sent = append(sent, len(errs))
			} else {
				perr = queue.ErrUnknownTopicOrPartition
			}
			errs = append(errs, perr)
		}
	}
	// Asked even with no partition left, so that an unknown group is
	// answered as such.
	perrs, err := rc.s.backend.DeleteOffsets(ctx, req.Group, parts)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return respond(resp), nil
	}
	for i, at := range sent {
		if i < len(perrs) {
			errs[at] = perrs[i].Err
		}
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, errorCode(errs[i])
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}
