package kafka

// DescribeConfigs (key 32), versions 0–4: every version kmsg knows. v1 adds
// config sources and synonyms (KIP-226), v3 config types and documentation
// (KIP-569), v4 is flexible.
//
// Semantics:
//   - TOPIC resources (type 2) are the backend's; a null or empty list of
//     names asks for every config;
//   - BROKER resources (type 4) answer an empty list without error: Triad
//     has no per-broker settings a client may read, and clients (kcat -X
//     dump, kadm) ask for them as a matter of course;
//   - other types (broker loggers, client metrics, groups) are
//     INVALID_REQUEST;
//   - a config's source is DEFAULT_CONFIG when it is the default and
//     DYNAMIC_TOPIC_CONFIG when set on the topic; with include_synonyms
//     (v1+) its one synonym is itself; its type (v3+) and, with
//     include_documentation, its documentation come from the table below.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const describeConfigsMax = 4

// topicConfigs describes the topic configs Triad keeps, for DescribeConfigs
// v3+; an unknown name is ConfigTypeUnknown without documentation.
var topicConfigs = map[string]struct {
	typ kmsg.ConfigType
	doc string
}{
	queue.ConfigRetentionMs:       {kmsg.ConfigTypeLong, "How long a log segment is kept before it is deleted, in milliseconds; -1 keeps it forever."},
	queue.ConfigRetentionBytes:    {kmsg.ConfigTypeLong, "The most bytes a partition keeps before deleting old segments; -1 means no limit."},
	queue.ConfigSegmentBytes:      {kmsg.ConfigTypeInt, "The size of a log segment file."},
	queue.ConfigCleanupPolicy:     {kmsg.ConfigTypeList, "delete (retention by time and size) or compact (the latest value per key)."},
	queue.ConfigMinInsyncReplicas: {kmsg.ConfigTypeInt, "The fewest in-sync replicas an acks=all write needs (NOT_ENOUGH_REPLICAS below it)."},
	queue.ConfigMaxMessageBytes:   {kmsg.ConfigTypeInt, "The largest record batch the topic accepts."},
	queue.ConfigDeleteRetentionMs: {kmsg.ConfigTypeLong, "How long a compacted topic keeps a tombstone (a record with a null value) once it is its key's latest record, counted from the record's timestamp."},
}

func configSource(e queue.ConfigEntry) kmsg.ConfigSource {
	if e.IsDefault {
		return kmsg.ConfigSourceDefaultConfig
	}
	return kmsg.ConfigSourceDynamicTopicConfig
}

func handleDescribeConfigs(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, r := range req.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
		rr.Configs = []kmsg.DescribeConfigsResponseResourceConfig{}
		switch r.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			names := r.ConfigNames
			if len(names) == 0 {
				names = nil
			}
			entries, err := rc.s.backend.DescribeConfigs(ctx, r.ResourceName, names)
			if err != nil {
				rr.ErrorCode, rr.ErrorMessage = errorCode(err), errorMessage(err)
				break
			}
			for _, e := range entries {
				rr.Configs = append(rr.Configs, describedConfig(req, e))
			}
		case kmsg.ConfigResourceTypeBroker:
		default:
			err := fmt.Errorf("%w: resource type %d", queue.ErrUnsupported, r.ResourceType)
			rr.ErrorCode, rr.ErrorMessage = errorCode(err), errorMessage(err)
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return respond(resp), nil
}

func describedConfig(req *kmsg.DescribeConfigsRequest, e queue.ConfigEntry) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.Value, c.ReadOnly, c.IsDefault = e.Name, kmsg.StringPtr(e.Value), e.ReadOnly, e.IsDefault
	c.Source = configSource(e)
	if req.IncludeSynonyms {
		s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
		s.Name, s.Value, s.Source = e.Name, kmsg.StringPtr(e.Value), c.Source
		c.ConfigSynonyms = append(c.ConfigSynonyms, s)
	}
	if info, ok := topicConfigs[e.Name]; ok {
		c.ConfigType = info.typ
		if req.IncludeDocumentation {
			c.Documentation = kmsg.StringPtr(info.doc)
		}
	}
	return c
}
