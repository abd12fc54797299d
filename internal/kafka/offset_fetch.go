package kafka

// OffsetFetch (key 9), versions 0–8.
//
// Why 0: in Kafka, v0 read offsets that v0 commits stored in ZooKeeper and
// v1+ those in the coordinator. Triad has no ZooKeeper and serves
// OffsetCommit v0 into the coordinator (offset_commit.go), so v0 reads the
// coordinator too: a client that speaks v0 only finds what it committed,
// which is all v0 ever promised. Kafka 4.0 dropped v0 (KIP-896); serving it
// costs nothing. v2 allows a null topic list (every committed offset) and
// adds a top-level error code, v5 leader epochs, v6 is flexible, v7 asks
// for stable offsets (require_stable: without transactions every offset is
// stable, so it is ignored), v8 batches groups. Why 8: v9 adds the member
// id and epoch of the new consumer protocol (KIP-848), v10 topic IDs.
//
// Semantics:
//   - a partition without a commit answers offset -1, metadata "" and
//     leader epoch -1 with no error, as Kafka does; so does a partition of
//     a topic that no longer exists (Kafka deletes a topic's offsets with
//     it), and a null topic list leaves such topics out;
//   - a group-level error (not coordinator, loading...): v0–v1 put it on
//     every partition asked for (offset -1), v2–v7 in the top-level code
//     with no topics, v8 in the group's code, as Kafka's
//     OffsetFetchRequest.getErrorResponse does.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/group"
)

const offsetFetchMax = 8

// fetchedTopic is one topic of a group's answer, before it takes the
// version's shape.
type fetchedTopic struct {
	name  string
	parts []group.CommittedOffset
}

func handleOffsetFetch(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version >= 8 {
		for _, g := range req.Groups {
			var asked []fetchedTopic
			if g.Topics != nil {
				for _, t := range g.Topics {
					asked = append(asked, askedTopic(t.Topic, t.Partitions))
				}
			}
			topics, err := fetchOffsets(ctx, rc.s.backend, g.Group, asked, g.Topics == nil)
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, errorCode(err)
			for _, ft := range topics {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = ft.name
				for _, o := range ft.parts {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata = o.Partition, o.Offset, o.LeaderEpoch, kmsg.StringPtr(o.Metadata)
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
			resp.Groups = append(resp.Groups, rg)
		}
		return respond(resp), nil
	}
	var asked []fetchedTopic
	for _, t := range req.Topics {
		asked = append(asked, askedTopic(t.Topic, t.Partitions))
	}
	all := req.Topics == nil && req.Version >= 2
	topics, err := fetchOffsets(ctx, rc.s.backend, req.Group, asked, all)
	if err != nil {
		if req.Version >= 2 {
			resp.ErrorCode = errorCode(err)
			return respond(resp), nil
		}
		topics = asked // every partition asked for, offset -1, with the error
	}
	for _, ft := range topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = ft.name
		for _, o := range ft.parts {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.Metadata, rp.ErrorCode = o.Partition, o.Offset, kmsg.StringPtr(o.Metadata), errorCode(err)
			if req.Version >= 5 {
				rp.LeaderEpoch = o.LeaderEpoch
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return respond(resp), nil
}

// askedTopic is a topic's partitions as asked for, each without a commit.
func askedTopic(name string, partitions []int32) fetchedTopic {
	ft := fetchedTopic{name: name}
	for _, p := range partitions {
		ft.parts = append(ft.parts, group.CommittedOffset{Topic: name, Partition: p, Offset: -1, LeaderEpoch: -1})
	}
	return ft
}

// fetchOffsets answers one group: the partitions asked for, in request
// order, or with all every committed offset of topics that exist, by
// topic.
func fetchOffsets(ctx context.Context, b Backend, groupID string, asked []fetchedTopic, all bool) ([]fetchedTopic, error) {
	var parts []group.TopicPartition
	if !all {
		parts = []group.TopicPartition{} // not nil: nil asks for every offset
		for _, ft := range asked {
			for _, o := range ft.parts {
				parts = append(parts, group.TopicPartition{Topic: ft.name, Partition: o.Partition})
			}
		}
	}
	offs, err := b.FetchOffsets(ctx, groupID, parts)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range offs {
		if len(names) == 0 || names[len(names)-1] != o.Topic {
			names = append(names, o.Topic)
		}
	}
	exists, err := partitionsExist(ctx, b, names)
	if err != nil {
		exists = func(string, int32) bool { return true } // answer what is committed
	}
	if all {
		var out []fetchedTopic
		for _, o := range offs {
			if !exists(o.Topic, o.Partition) {
				continue
			}
			if len(out) == 0 || out[len(out)-1].name != o.Topic {
				out = append(out, fetchedTopic{name: o.Topic})
			}
			out[len(out)-1].parts = append(out[len(out)-1].parts, o)
		}
		return out, nil
	}
	i := 0
	for _, ft := range asked {
		for j := range ft.parts {
			if i < len(offs) && exists(ft.name, ft.parts[j].Partition) {
				o := offs[i]
				o.Topic, o.Partition = ft.name, ft.parts[j].Partition
				ft.parts[j] = o
			}
			i++
		}
	}
	return asked, nil
}
