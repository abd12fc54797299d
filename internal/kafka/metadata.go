package kafka

// Metadata (key 3), versions 0–9 advertised; the handler encodes 0–12.
//
// Why 9: v10 is the first version whose response carries topic IDs (KIP-516;
// Kafka's MetadataResponse.json: "TopicId", versions 10+), and v12 lets a
// client ask for topics by ID alone (MetadataRequest.json: "Name" nullable in
// 12+). Triad has no topic IDs (issue 4: stop below versions that need
// features Triad lacks). A zero ID is legal on the wire, but a client that
// negotiated v10+ may take it for a real ID and use it where a name was
// needed (Fetch v13+, DeleteTopics v6+), so we stop where IDs begin. Every
// client we serve negotiates down: kgo and sarama support every version,
// librdkafka 2.0.2 (Debian's kcat) asks for v4, kafka-go for v1 or v6.
// Raising metadataMax to 12 needs no other change here: a topic asked for by
// ID is answered UNKNOWN_TOPIC_ID, as Kafka answers an ID it does not know.
// v13 (KIP-1102, a top-level error code) would also work as is.
//
// Semantics kept from Kafka: in v0 an empty topic list means all topics; in
// v1+ a null list means all and an empty one none. v0–v3 imply auto-creation;
// v4+ carry allow_auto_topic_creation. Duplicate names are answered once.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const metadataMax = 9

func handleMetadata(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	b := rc.s.backend

	cl, err := b.Cluster(ctx)
	if err != nil {
		return reply{}, fmt.Errorf("kafka: metadata: cluster: %w", err)
	}
	for _, br := range cl.Brokers {
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = br.NodeID, br.Host, br.Port
		if br.Rack != "" {
			mb.Rack = kmsg.StringPtr(br.Rack)
		}
		resp.Brokers = append(resp.Brokers, mb)
	}
	if cl.ID != "" {
		resp.ClusterID = kmsg.StringPtr(cl.ID)
	}
	resp.ControllerID = cl.ControllerID

	q := TopicsQuery{All: req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)}
	q.AutoCreate = req.Version < 4 || req.AllowAutoTopicCreation
	seen := make(map[string]bool, len(req.Topics))
	var byID []kmsg.MetadataResponseTopic
	for _, t := range req.Topics {
		if t.Topic == nil { // v12+: by ID, which Triad does not have
			mt := kmsg.NewMetadataResponseTopic()
			mt.ErrorCode, mt.TopicID = CodeUnknownTopicID, t.TopicID
			byID = append(byID, mt)
			continue
		}
		if !seen[*t.Topic] {
			seen[*t.Topic] = true
			q.Names = append(q.Names, *t.Topic)
		}
	}
	var topics []queue.TopicInfo
	if q.All || len(q.Names) > 0 {
		if topics, err = b.Topics(ctx, q); err != nil {
			return reply{}, fmt.Errorf("kafka: metadata: topics: %w", err)
		}
	}
	for _, t := range topics {
		resp.Topics = append(resp.Topics, metadataTopic(t))
	}
	resp.Topics = append(resp.Topics, byID...)
	return respond(resp), nil
}

func metadataTopic(t queue.TopicInfo) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = kmsg.StringPtr(t.Name)
	mt.IsInternal = t.Internal
	if t.Err != nil {
		mt.ErrorCode = errorCode(t.Err)
		return mt
	}
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.ErrorCode = errorCode(p.Err)
		mp.Partition, mp.Leader, mp.LeaderEpoch = p.ID, p.Leader, p.LeaderEpoch
		mp.Replicas, mp.ISR, mp.OfflineReplicas = p.Replicas, p.ISR, p.Offline
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}
