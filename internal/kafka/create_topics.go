package kafka

// CreateTopics (key 19), versions 0–6.
//
// Why 6: v7's one change is the topic's ID in the response (KIP-516);
// Triad has no topic IDs and stops below versions that carry them, as
// Metadata does (metadata.go). v5 (flexible) returns the created topic's
// partitions, replication factor and configs (KIP-525); v6 only adds
// THROTTLING_QUOTA_EXCEEDED (KIP-599), which Triad never sends. v4 marks
// the client's support for -1 partitions/replication factor (the broker's
// defaults, KIP-464); Triad takes -1 at every version. Clients negotiate
// down to 6.
//
// Semantics, as Kafka's controller:
//   - a name given twice: INVALID_REQUEST for it, once, and it is not
//     created;
//   - replica assignments: INVALID_REQUEST "not supported" (placement is
//     the queue service's);
//   - partitions or replication factor 0 or below -1: INVALID_PARTITIONS,
//     INVALID_REPLICATION_FACTOR; a null config value: INVALID_CONFIG;
//   - validate_only (v1+): checked, not created;
//   - timeout_ms bounds the wait when positive (REQUEST_TIMED_OUT after);
//   - error_message (v1+) carries the error's text;
//   - v5+: num_partitions, replication_factor and configs of the topic as
//     created, or as asked for with validate_only (then -1 stays -1, the
//     defaults being the backend's); -1 and null on error.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const createTopicsMax = 6

func handleCreateTopics(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	ctx, cancel := timeoutCtx(ctx, req.TimeoutMillis)
	defer cancel()

	count := make(map[string]int, len(req.Topics))
	for _, t := range req.Topics {
		count[t.Topic]++
	}
	var specs []queue.TopicSpec
	var idx []int // resp.Topics index of each spec
	for _, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		var err error
		switch n := count[t.Topic]; {
		case n < 0:
			continue // a duplicate already answered
		case n > 1:
			count[t.Topic] = -1
			err = fmt.Errorf("%w: topic %q appears %d times", queue.ErrInvalidRequest, t.Topic, n)
		case len(t.ReplicaAssignment) > 0:
			err = fmt.Errorf("%w: replica assignments", queue.ErrUnsupported)
		case t.NumPartitions == 0 || t.NumPartitions < -1:
			err = fmt.Errorf("%w: %d partitions", queue.ErrInvalidPartitions, t.NumPartitions)
		case t.ReplicationFactor == 0 || t.ReplicationFactor < -1:
			err = fmt.Errorf("%w: replication factor %d", queue.ErrInvalidReplication, t.ReplicationFactor)
		}
		spec := queue.TopicSpec{Name: t.Topic, Partitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
		for _, c := range t.Configs {
			if err != nil {
				break
			}
			if c.Value == nil {
				err = fmt.Errorf("%w: null value for %s", queue.ErrInvalidConfig, c.Name)
				break
			}
			if spec.Configs == nil {
				spec.Configs = make(map[string]string, len(t.Configs))
			}
			spec.Configs[c.Name] = *c.Value
		}
		if err != nil {
			rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
		} else {
			specs = append(specs, spec)
			idx = append(idx, len(resp.Topics))
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(specs) == 0 {
		return respond(resp), nil
	}
	errs := rc.s.backend.CreateTopics(ctx, specs, req.ValidateOnly)
	if len(errs) != len(specs) {
		return reply{}, fmt.Errorf("kafka: create topics: backend answered %d topics of %d", len(errs), len(specs))
	}
	var created []string
	for i, err := range errs {
		rt := &resp.Topics[idx[i]]
		if err != nil {
			rt.ErrorCode, rt.ErrorMessage = errorCode(err), errorMessage(err)
			continue
		}
		if req.Version < 5 {
			continue
		}
		if req.ValidateOnly {
			rt.NumPartitions, rt.ReplicationFactor = specs[i].Partitions, specs[i].ReplicationFactor
			rt.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
			for _, name := range slices.Sorted(maps.Keys(specs[i].Configs)) {
				rt.Configs = append(rt.Configs, createdConfig(queue.ConfigEntry{Name: name, Value: specs[i].Configs[name]}))
			}
			continue
		}
		created = append(created, specs[i].Name)
		describeCreated(ctx, rc.s.backend, rt)
	}
	if len(created) > 0 {
		if err := sizeCreated(ctx, rc.s.backend, created, resp); err != nil {
			return reply{}, err
		}
	}
	return respond(resp), nil
}

// describeCreated fills a created topic's configs (v5+); a failure to
// describe them is the config_error_code, as in Kafka.
func describeCreated(ctx context.Context, b Backend, rt *kmsg.CreateTopicsResponseTopic) {
	entries, err := b.DescribeConfigs(ctx, rt.Topic, nil)
	if err != nil {
		rt.ConfigErrorCode = errorCode(err)
		return
	}
	rt.Configs = make([]kmsg.CreateTopicsResponseTopicConfig, 0, len(entries))
	for _, e := range entries {
		rt.Configs = append(rt.Configs, createdConfig(e))
	}
}

// sizeCreated fills the created topics' partition counts and replication
// factors (v5+) from the backend's description of them.
func sizeCreated(ctx context.Context, b Backend, names []string, resp *kmsg.CreateTopicsResponse) error {
	infos, err := b.Topics(ctx, TopicsQuery{Names: names})
	if err != nil {
		return fmt.Errorf("kafka: create topics: describing created topics: %w", err)
	}
	byName := make(map[string]queue.TopicInfo, len(infos))
	for _, ti := range infos {
		byName[ti.Name] = ti
	}
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		ti, ok := byName[rt.Topic]
		if !ok || rt.ErrorCode != CodeNone || ti.Err != nil {
			continue
		}
		rt.NumPartitions = int32(len(ti.Partitions))
		if len(ti.Partitions) > 0 {
			rt.ReplicationFactor = int16(len(ti.Partitions[0].Replicas))
		}
	}
	return nil
}

func createdConfig(e queue.ConfigEntry) kmsg.CreateTopicsResponseTopicConfig {
	c := kmsg.NewCreateTopicsResponseTopicConfig()
	c.Name, c.Value, c.ReadOnly = e.Name, kmsg.StringPtr(e.Value), e.ReadOnly
	c.Source = int8(configSource(e))
	return c
}

// timeoutCtx bounds ctx by a request's timeout_ms when it is positive.
func timeoutCtx(ctx context.Context, ms int32) (context.Context, context.CancelFunc) {
	if ms <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
}
