package kafka

// OffsetCommit (key 8), versions 0–8.
//
// Why 0: Triad has no ZooKeeper, so v0 (which stored offsets there in
// Kafka) commits to the coordinator as a simple commit (generation -1, no
// member), like a v1+ commit from outside group management; v1 adds the
// generation and member id, v2–v4 a retention time, v6 leader epochs, v7
// group.instance.id, v8 is flexible. Why 8: v9 is the first version for
// the new consumer protocol (KIP-848, member epochs), which Triad does not
// serve; v10 names topics by ID (KIP-516).
//
// Semantics:
//   - v2–v4's retention_time is ignored: offsets are kept until the group
//     is deleted (the coordinator implements no offset retention);
//   - v1's per-partition commit timestamp is ignored: the coordinator
//     stamps every commit with its own clock, as Kafka ≥ 2.1 does;
//   - a partition of a topic that does not exist (asked of the backend
//     without auto-creation), or past the topic's last partition, gets
//     UNKNOWN_TOPIC_OR_PARTITION and is not committed, as Kafka answers;
//   - a group-level error from the coordinator (unknown member, illegal
//     generation, rebalance in progress, not coordinator...) is every
//     partition's code; otherwise each partition has its own;
//   - a null metadata string is committed as "".

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
	"triad/internal/queue/group"
)

const offsetCommitMax = 8

func handleOffsetCommit(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.OffsetCommitRequest)
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	r := group.CommitRequest{Group: req.Group, Generation: -1}
	if req.Version >= 1 {
		r.Generation, r.MemberID = req.Generation, req.MemberID
	}
	if req.Version >= 7 {
		r.InstanceID = deref(req.InstanceID)
	}
	var names []string
	for _, t := range req.Topics {
		names = append(names, t.Topic)
	}
	exists, err := partitionsExist(ctx, rc.s.backend, names)
	// errs[i] is the answer of the i-th partition of the request; the ones
	// still nil after the checks go to the coordinator.
	var errs []error
	var sent []int // index in errs of each of r.Offsets
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			var perr error
			switch {
			case err != nil:
				perr = err
			case !exists(t.Topic, p.Partition):
				perr = queue.ErrUnknownTopicOrPartition
			default:
				epoch := int32(-1)
				if req.Version >= 6 {
					epoch = p.LeaderEpoch
				}
				r.Offsets = append(r.Offsets, group.CommitOffset{
					Topic: t.Topic, Partition: p.Partition, Offset: p.Offset, LeaderEpoch: epoch, Metadata: deref(p.Metadata),
				})
				sent = append(sent, len(errs))
			}
			errs = append(errs, perr)
		}
	}
	if len(r.Offsets) > 0 {
		perrs, gerr := rc.s.backend.CommitOffsets(ctx, r)
		for i, at := range sent {
			switch {
			case gerr != nil:
				errs[at] = gerr
			case i < len(perrs):
				errs[at] = perrs[i].Err
			default:
				errs[at] = errors.New("kafka: offset commit: backend did not answer the partition")
			}
		}
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, errorCode(errs[i])
			i++
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}

// partitionsExist asks the backend (without auto-creation) about the
// topics named and returns whether a partition exists. A topic the backend
// describes with another error than "unknown" (a leader election, say)
// exists, with whatever partitions it lists, or any if it lists none.
func partitionsExist(ctx context.Context, b Backend, names []string) (func(topic string, partition int32) bool, error) {
	seen := make(map[string]bool, len(names))
	var q TopicsQuery
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			q.Names = append(q.Names, n)
		}
	}
	parts := make(map[string]map[int32]bool, len(q.Names))
	if len(q.Names) > 0 {
		infos, err := b.Topics(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, ti := range infos {
			if errors.Is(ti.Err, queue.ErrUnknownTopicOrPartition) {
				continue
			}
			ps := make(map[int32]bool, len(ti.Partitions))
			for _, p := range ti.Partitions {
				ps[p.ID] = true
			}
			if ti.Err != nil && len(ps) == 0 {
				ps = nil // exists, partitions unknown
			}
			parts[ti.Name] = ps
		}
	}
	return func(topic string, partition int32) bool {
		ps, ok := parts[topic]
		return ok && (ps == nil || ps[partition])
	}, nil
}
